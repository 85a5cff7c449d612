"""Bake/extract speed and memory: badgekiln against openbadges-bakery 2.0.0, in one process.

Run with ``make bench`` or ``.venv/bin/python bench/bench_baking.py [--quick]``.

Images are generated in memory: PNGs of random-noise pixels (they do not compress) written as
libpng does, in 8 KiB IDAT chunks, plus one 20 MB PNG with a single IDAT chunk; SVGs of many
random shapes. ``badgekiln.bake`` takes images up to ``baking.MAX_BAKE_IMAGE_BYTES`` (16 MiB), so
the largest baked PNG is 16 MB; the 20 MB PNGs are extracted only (extraction has no size cap: it
streams). Extraction runs on images whose carrier sits *before IEND*, the far end of the
file (where the 1EdTech fixtures put it), so both readers walk every chunk. Every CRC is verified
by badgekiln. Times are medians of repeated runs; peaks are ``tracemalloc`` peaks of one further
run, also shown as a multiple of the input size. Ratios are openbadges-bakery ÷ badgekiln.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import statistics
import struct
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import openbadges_bakery

import badgekiln
from badgekiln import baking
from badgekiln import png as bk_png

# An OB 2.0 hosted assertion (~1 KB): the one payload kind both bakers store the same way.
PAYLOAD = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://example.org/assertions/3527",
        "recipient": {"type": "email", "hashed": True, "identity": "sha256$" + "c0ffee" * 10 + "abcd"},
        "badge": "https://example.org/badges/teamwork",
        "issuedOn": "2024-01-01T00:00:00Z",
        "verification": {"type": "hosted"},
        "evidence": {"narrative": "Nominated by peers for collaboration on the Kiln project — ✓ ünïcödé."},
    },
    indent=2,
    ensure_ascii=False,
)


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def noise_png(target: int, *, idat_size: int | None = 8192, seed: int = 1) -> bytes:
    """An RGB PNG of random pixels, about ``target`` bytes, in ``idat_size`` IDAT chunks (None: one)."""
    rng = random.Random(seed)
    side = max(8, int((target / 3) ** 0.5))
    rows = b"".join(b"\0" + rng.randbytes(side * 3) for _ in range(side))
    stream = zlib.compress(rows, 1)
    step = idat_size or len(stream)
    idats = b"".join(_chunk(b"IDAT", stream[i : i + step]) for i in range(0, len(stream), step))
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    return bk_png.PNG_SIGNATURE + ihdr + idats + _chunk(b"IEND", b"")


def carrier_at_end(image: bytes, payload: str) -> bytes:
    """The PNG with an OB 2.0 iTXt carrier just before IEND (as the 1EdTech fixtures place it)."""
    itxt = _chunk(b"iTXt", b"openbadges\0\0\0\0\0" + payload.encode())
    return image[:-12] + itxt + image[-12:]


def shapes_svg(target: int, *, seed: int = 2) -> bytes:
    rng = random.Random(seed)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000">\n',
    ]
    size = sum(map(len, parts))
    while size < target:
        points = " ".join(f"{rng.uniform(0, 1000):.2f},{rng.uniform(0, 1000):.2f}" for _ in range(6))
        fill = f"#{rng.randrange(1 << 24):06x}"
        line = f'  <g class="layer"><path fill="{fill}" d="M {points} Z"/><title>shape {size}</title></g>\n'
        parts.append(line)
        size += len(line)
    parts.append("</svg>\n")
    return "".join(parts).encode()


@dataclass
class Row:
    case: str
    size: int
    ours: float
    theirs: float
    ours_peak: int
    theirs_peak: int


def _median(func: Callable[[], object], repeat: int) -> float:
    func()  # warm up (imports, caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak(func: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(
    case: str, size: int, ours: Callable[[], object], theirs: Callable[[], object], repeat: int
) -> Row:
    return Row(
        case,
        size,
        _median(ours, repeat),
        _median(theirs, max(3, repeat // 4) if size > 5_000_000 else repeat),
        _peak(ours),
        _peak(theirs),
    )


def their_bake(image: bytes) -> bytes:
    out = io.BytesIO()
    openbadges_bakery.bake(io.BytesIO(image), PAYLOAD, out)
    return out.getvalue()


def their_extract(image: bytes) -> str:
    return str(openbadges_bakery.unbake(io.BytesIO(image)))


def bake_row(name: str, image: bytes, repeat: int) -> Row:
    return measure(
        f"{name} bake",
        len(image),
        partial(badgekiln.bake, image, PAYLOAD),
        partial(their_bake, image),
        repeat,
    )


def run(quick: bool) -> list[Row]:
    repeat = 5 if quick else 21
    rows: list[Row] = []
    pngs = [
        ("PNG 10 KB", noise_png(10_000)),
        ("PNG 1 MB", noise_png(1_000_000)),
        ("PNG 16 MB", noise_png(16_000_000)),
        ("PNG 20 MB", noise_png(20_000_000)),
        ("PNG 20 MB, one IDAT", noise_png(20_000_000, idat_size=None)),
    ]
    for name, image in pngs:
        # sanity: both produce an image the other extracts the same payload from
        assert badgekiln.extract(their_bake(image)).payload == PAYLOAD
        if len(image) <= baking.MAX_BAKE_IMAGE_BYTES:
            assert their_extract(badgekiln.bake(image, PAYLOAD)) == PAYLOAD
            rows.append(bake_row(name, image, repeat))
        baked = carrier_at_end(image, PAYLOAD)
        assert badgekiln.extract(baked).payload == their_extract(baked) == PAYLOAD
        rows.append(
            measure(
                f"{name} extract (carrier at end)",
                len(baked),
                partial(badgekiln.extract, baked),
                partial(their_extract, baked),
                repeat,
            )
        )
    for name, image in (("SVG 10 KB", shapes_svg(10_000)), ("SVG 1 MB", shapes_svg(1_000_000))):
        assert badgekiln.extract(their_bake(image)).payload == PAYLOAD
        rows.append(bake_row(name, image, repeat))
        baked = badgekiln.bake(image, PAYLOAD)
        assert their_extract(baked) == PAYLOAD
        rows.append(
            measure(
                f"{name} extract",
                len(baked),
                partial(badgekiln.extract, baked),
                partial(their_extract, baked),
                repeat,
            )
        )
    return rows


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.3f}"


def _mib(size: int, base: int) -> str:
    return f"{size / 2**20:7.2f} ({size / base:4.1f}×)"


def table(rows: list[Row]) -> str:
    head = (
        f"{'case':44} {'input':>9} {'badgekiln ms':>12} {'bakery ms':>10} {'ratio':>7}  "
        f"{'badgekiln peak MiB':>19} {'bakery peak MiB':>19}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.case:44} {r.size / 1e6:7.2f}MB {_ms(r.ours):>12} {_ms(r.theirs):>10} "
            f"{r.theirs / r.ours:6.1f}×  "
            f"{_mib(r.ours_peak, r.size):>19} {_mib(r.theirs_peak, r.size):>19}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, CRC-32 backend {bk_png.CRC32_BACKEND}, "
        f"openbadges-bakery {getattr(openbadges_bakery, '__version__', '2.0.0')}, {os.cpu_count()} CPUs"
    )
    print(table(run(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
