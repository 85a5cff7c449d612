"""The containers stay light: importing them pulls in no heavy or network library.

Each check runs in a fresh interpreter, because this test process has imported everything already.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

#: Top-level packages the container modules must never load (docs/development.md, "Heavy imports").
HEAVY = ("boto3", "botocore", "cairosvg", "pyld", "requests", "pydantic", "png", "jsonschema", "cryptography")


def _loaded_after(statement: str) -> list[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [name for name in json.loads(result.stdout) if name.split(".")[0] in HEAVY]


@pytest.mark.parametrize(
    "statement",
    [
        "import badgekiln.png",
        "import badgekiln.svg",
        "import badgekiln; badgekiln.extract",  # the recipes: baking, sniff and both containers
        "from badgekiln.cli import build_parser; build_parser()",
    ],
)
def test_no_heavy_imports(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_pixel_check_loads_pypng_only_when_used(tmp_path: Path) -> None:
    def chunk(ctype: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))

    image = tmp_path / "one.png"
    image.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )
    check = f"badgekiln.png.check_pixels(pathlib.Path({str(image)!r}).read_bytes())"
    loaded = _loaded_after(f"import badgekiln.png, pathlib\n{check}")
    assert loaded == ["png"]
