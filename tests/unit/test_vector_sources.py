"""tests/vectors/SOURCES.md accounts for every vector: each source folder it describes holds
exactly the files its table lists, and names the repository, commit and licence they come from."""

from __future__ import annotations

import re

import pytest

from tests.conftest import VECTORS, vector_sources

SECTIONS = re.split(r"^## ", (VECTORS / "SOURCES.md").read_text("utf-8"), flags=re.M)


def _section(source: str) -> str:
    (section,) = (s for s in SECTIONS if s.startswith(f"`{source}/` — from "))
    return section


def test_sources_are_listed() -> None:
    assert len(vector_sources()) == 13


@pytest.mark.parametrize("source", vector_sources())
def test_each_source_has_repository_commit_and_licence(source: str) -> None:
    section = _section(source)
    assert re.search(r"^- Repository: https://github\.com/[\w.-]+/[\w.-]+$", section, re.M)
    assert re.search(r"^- Snapshot commit: `[0-9a-f]{40}", section, re.M)
    assert re.search(r"^- License: .+", section, re.M)


@pytest.mark.parametrize("source", vector_sources())
def test_each_source_folder_holds_exactly_its_listed_files(source: str) -> None:
    section = _section(source)
    listed = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
    on_disk = {
        p.relative_to(VECTORS / source).as_posix() for p in (VECTORS / source).rglob("*") if p.is_file()
    }
    assert on_disk == listed
    (count,) = re.findall(r"^- Files: (\d+)$", section, re.M)
    assert int(count) == len(on_disk)
