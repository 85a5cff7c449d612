"""Packages that export names lazily (badgekiln._lazy): every name resolves, others are refused."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from badgekiln._lazy import lazy_exports

PACKAGES = ("badgekiln", "badgekiln.issue", "badgekiln.store", "badgekiln.verification", "badgekiln.web")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_and_dir_lists_them(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert dir(module) == sorted(module.__all__)


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=rf"^module '{package}' has no attribute 'no_such_name'$"):
        _ = module.no_such_name


def test_the_first_access_imports_and_caches() -> None:
    namespace = {"__name__": "pkg", "__all__": ["dumps"]}
    getattr_, dir_ = lazy_exports(namespace, {"dumps": "json"})
    assert "dumps" not in namespace
    first = getattr_("dumps")
    assert first is importlib.import_module("json").dumps
    assert namespace["dumps"] is first  # later accesses never reach __getattr__
    assert dir_() == ["dumps"]


def test_importing_the_store_defers_the_s3_backend_until_s3store() -> None:
    code = (
        "import sys, badgekiln.store as s\n"
        "before = 'badgekiln.store.s3' in sys.modules\n"
        "s.S3Store\n"
        "print(before, 'badgekiln.store.s3' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_the_version_has_one_source() -> None:
    # badgekiln/_version.py is a leaf: the fetcher's User-Agent reads it without importing the
    # package root, and the installed distribution's version comes from it (pyproject dynamic).
    from importlib.metadata import version

    import badgekiln
    from badgekiln._version import __version__
    from badgekiln.fetch import USER_AGENT

    assert badgekiln.__version__ == __version__ == version("badgekiln")
    assert USER_AGENT.startswith(f"badgekiln/{__version__} ")
