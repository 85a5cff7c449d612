"""Write layers/badgekiln/badgekiln/botocore_data/ from the installed botocore (see badgekiln.awsclients).

    .venv/bin/python scripts/botocore_data.py          # regenerate (after make lock moves botocore)
    .venv/bin/python scripts/botocore_data.py --check  # exit 1 if the checked-in data is stale

Per service of ``OPERATIONS``, its newest API version: ``service-2.json`` with only those operations
and the shapes they reach (inputs, outputs, errors, recursively), documentation left out;
``paginators-1.json`` and its sdk-extras with their paginators; the endpoint rules and the
model's sdk-extras as botocore has them. At the top: ``endpoints.json`` with only these services
in each partition, and ``partitions.json``, ``_retry.json`` and ``sdk-default-configuration.json``
as they are.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "layers" / "badgekiln"))
from badgekiln.awsclients import DATA_DIR, OPERATIONS  # noqa: E402

AS_THEY_ARE = ("partitions.json", "_retry.json", "sdk-default-configuration.json")
SERVICE_FILES_AS_THEY_ARE = ("endpoint-rule-set-1.json.gz", "service-2.sdk-extras.json")


def _botocore_data() -> Path:
    import botocore

    return Path(botocore.__file__).parent / "data"


def _read(path: Path) -> Any:
    if path.name.endswith(".gz"):
        return json.loads(gzip.decompress(path.read_bytes()))
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(value: Any) -> bytes:
    return (json.dumps(value, separators=(",", ":"), sort_keys=True) + "\n").encode()


def _without_documentation(node: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if key not in ("documentation", "documentationUrl")}


def _reachable_shapes(shapes: dict[str, Any], roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        pending.extend(member["shape"] for member in shape.get("members", {}).values())
        pending.extend(shape[part]["shape"] for part in ("member", "key", "value") if part in shape)
    return seen


def _trimmed_model(model: dict[str, Any], operations: Iterable[str]) -> dict[str, Any]:
    kept = {name: _without_documentation(model["operations"][name]) for name in operations}
    roots = [
        reference["shape"]
        for operation in kept.values()
        for reference in [operation.get("input"), operation.get("output"), *operation.get("errors", [])]
        if reference
    ]
    shapes = {}
    for name in sorted(_reachable_shapes(model["shapes"], roots)):
        shape = _without_documentation(model["shapes"][name])
        if "members" in shape:
            shape["members"] = {key: _without_documentation(m) for key, m in shape["members"].items()}
        shapes[name] = shape
    return {**_without_documentation(model), "operations": kept, "shapes": shapes}


def files() -> dict[str, bytes]:
    """Every file of botocore_data/ by its relative path, as it should be."""
    source = _botocore_data()
    out = {name: (source / name).read_bytes() for name in AS_THEY_ARE}
    endpoints = _read(source / "endpoints.json")
    for partition in endpoints["partitions"]:
        partition["services"] = {
            name: value for name, value in partition["services"].items() if name in OPERATIONS
        }
    out["endpoints.json"] = _dump(endpoints)
    for service, operations in OPERATIONS.items():
        version = max(path.name for path in (source / service).iterdir() if path.is_dir())
        folder = source / service / version
        prefix = f"{service}/{version}/"
        model = _read(next(folder.glob("service-2.json*")))
        out[prefix + "service-2.json"] = _dump(_trimmed_model(model, operations))
        if (folder / "paginators-1.json").is_file():
            pages = _read(folder / "paginators-1.json")["pagination"]
            kept = {name: pages[name] for name in operations if name in pages}
            if kept:
                out[prefix + "paginators-1.json"] = _dump({"pagination": kept})
        if (folder / "paginators-1.sdk-extras.json").is_file():
            extras = _read(folder / "paginators-1.sdk-extras.json")
            merged = extras["merge"]["pagination"]
            kept = {name: merged[name] for name in operations if name in merged}
            if kept:
                extras["merge"]["pagination"] = kept
                out[prefix + "paginators-1.sdk-extras.json"] = _dump(extras)
        for name in SERVICE_FILES_AS_THEY_ARE:
            if (folder / name).is_file():
                out[prefix + name] = (folder / name).read_bytes()
    return out


def stale(target: Path = DATA_DIR) -> list[str]:
    """The relative paths that differ from what :func:`files` would write (missing or extra too)."""
    wanted = files()
    present = {path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file()}
    return sorted(
        name
        for name in wanted.keys() | present
        if name not in wanted or name not in present or (target / name).read_bytes() != wanted[name]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the checked-in data is stale")
    args = parser.parse_args()
    if args.check:
        differing = stale()
        for name in differing:
            print(f"stale: botocore_data/{name} (run scripts/botocore_data.py)", file=sys.stderr)
        return 1 if differing else 0
    if DATA_DIR.exists():
        for path in sorted(DATA_DIR.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for name, data in files().items():
        (DATA_DIR / name).parent.mkdir(parents=True, exist_ok=True)
        (DATA_DIR / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
