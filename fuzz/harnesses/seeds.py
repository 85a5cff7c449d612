"""Where seed inputs come from: the public vectors, the wild corpus and the API Gateway events.

Everything is read from the repository (tests/vectors with SOURCES.md, tests/vectors/wild with
its MANIFEST.json, events/), so a fresh clone can run every harness.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

__all__ = [
    "EVENTS",
    "REPO",
    "SCRATCH_ENV",
    "VECTORS",
    "WILD",
    "files",
    "json_files",
    "scratch",
    "wild_entries",
]

REPO: Final = Path(__file__).resolve().parent.parent.parent
VECTORS: Final = REPO / "tests" / "vectors"
WILD: Final = VECTORS / "wild"
EVENTS: Final = REPO / "events"
#: Where harnesses put the stores and files they work on: the campaign names a folder per run and
#: removes it afterwards (libFuzzer ends the process without Python's exit handlers).
SCRATCH_ENV: Final = "BADGEKILN_FUZZ_SCRATCH"


def scratch(name: str) -> Path:
    """A new folder for this process under ``$BADGEKILN_FUZZ_SCRATCH`` (else a temporary folder,
    in memory where /dev/shm exists, removed when Python exits)."""
    parent = os.environ.get(SCRATCH_ENV)
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=parent))
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None  # memory, not a shared path
    folder = Path(tempfile.mkdtemp(prefix=f"badgekiln-fuzz-{name}-", dir=base))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def files(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """``(name relative to the repository, bytes)`` of each file, sorted."""
    for path in sorted(paths):
        if path.is_file():
            yield path.relative_to(REPO).as_posix(), path.read_bytes()


def json_files() -> Iterator[tuple[str, Any]]:
    """Every JSON document under tests/vectors that parses: ``(name, value)``."""
    for name, data in files([*VECTORS.rglob("*.json"), *VECTORS.rglob("*.jsonld")]):
        try:
            yield name, json.loads(data)
        except ValueError:
            continue


def wild_entries() -> Iterator[tuple[dict[str, Any], dict[str, bytes]]]:
    """Each wild corpus entry with the URL → body answers its manifest gives it (as
    tests/integration/test_wild_corpus.py serves them)."""
    from tests.integration.test_wild_corpus import documents_for, manifest

    for entry in manifest()["entries"]:
        yield entry, documents_for(entry)
