"""Render speed (informational): badgekiln.render.svg_to_png against bare cairosvg, in one run.

Run with ``.venv/bin/python bench/bench_render.py [--quick]``.

The badge is generated in code: about 10 KB of SVG with two gradients, 84 translucent polygons
and a text label (the shape of the badge measured for Lambda sizing; docs/rendering.md), rendered
at 512×512. Reported:

* import cost, each in a fresh interpreter (median of several): ``import badgekiln.render`` (what
  every function pays) and ``import cairosvg`` (paid on the first render only);
* the first render in a fresh interpreter (imports, fontconfig set-up, first glyphs), and
  ``import badgekiln`` + that render;
* warm medians and p95 of badgekiln's ``svg_to_png`` and of ``cairosvg.svg2png(bytestring=...)``
  on the same SVG, their ratio (the price of the safety checks), and the scan alone.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import cairosvg

from badgekiln.render import svg_to_png
from badgekiln.render._scan import scan_svg
from badgekiln.render.limits import DEFAULT_LIMITS


def badge_svg(*, polygons: int = 84, seed: int = 7) -> bytes:
    """A ~10 KB badge: a gradient disc, translucent facets, a ribbon and a label."""
    rng = random.Random(seed)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">',
        "<defs>",
        '<radialGradient id="disc" cx="50%" cy="45%" r="60%">',
        '<stop offset="0" stop-color="#ffd36b"/><stop offset="1" stop-color="#c2571a"/></radialGradient>',
        '<linearGradient id="ribbon" x1="0" y1="0" x2="1" y2="0">',
        '<stop offset="0" stop-color="#1d3557"/><stop offset="1" stop-color="#457b9d"/></linearGradient>',
        "</defs>",
        '<circle cx="300" cy="280" r="250" fill="url(#disc)" stroke="#7a2e0e" stroke-width="12"/>',
    ]
    for _ in range(polygons):
        cx, cy = rng.uniform(120, 480), rng.uniform(100, 460)
        points = " ".join(
            f"{cx + rng.uniform(20, 70) * math.cos(a):.1f},{cy + rng.uniform(20, 70) * math.sin(a):.1f}"
            for a in sorted(rng.uniform(0, 2 * math.pi) for _ in range(5))
        )
        colour = f"#{rng.randrange(0x1000000):06x}"
        parts.append(f'<polygon points="{points}" fill="{colour}" fill-opacity="0.35"/>')
    parts += [
        '<path d="M60 440 L540 440 L510 500 L540 560 L60 560 L90 500 Z" fill="url(#ribbon)"/>',
        '<text x="300" y="515" font-family="DejaVu Sans" font-size="40" font-weight="bold" '
        'text-anchor="middle" fill="#ffffff">Kiln Master 2026</text>',
        "</svg>",
    ]
    return "\n".join(parts).encode()


def timed(function: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def fresh(code: str, runs: int) -> list[float]:
    """Seconds printed by ``code`` in ``runs`` fresh interpreters."""
    out = []
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append(float(result.stdout.strip().splitlines()[-1]))
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, math.ceil(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs, cold_runs = (10, 3) if args.quick else (40, 7)

    svg = badge_svg()
    clock = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    import_render = fresh(clock.format("import badgekiln.render"), cold_runs)
    import_cairosvg = fresh(clock.format("import cairosvg"), cold_runs)
    first = fresh(
        f"import time, badgekiln.render as r\nsvg = {svg!r}\n"
        "t = time.perf_counter(); r.svg_to_png(svg, 512, 512); print(time.perf_counter() - t)",
        cold_runs,
    )

    png = svg_to_png(svg, 512, 512)
    ours = timed(lambda: svg_to_png(svg, 512, 512), runs)
    bare = timed(lambda: cairosvg.svg2png(bytestring=svg, output_width=512, output_height=512), runs)
    scan = timed(lambda: scan_svg(svg, DEFAULT_LIMITS), runs)

    print(f"badge SVG: {len(svg)} bytes, {svg.count(b'<polygon')} polygons; PNG 512x512: {len(png)} bytes")
    print(f"fresh interpreters, median of {cold_runs}:")
    print(f"  import badgekiln.render: {ms(statistics.median(import_render))}")
    print(f"  import cairosvg:         {ms(statistics.median(import_cairosvg))}")
    print(f"  first svg_to_png (cairosvg import + fonts + render): {ms(statistics.median(first))}")
    print(f"svg_to_png 512x512, warm:        median {ms(statistics.median(ours))}, p95 {ms(p95(ours))}")
    print(f"cairosvg.svg2png 512x512, warm:  median {ms(statistics.median(bare))}, p95 {ms(p95(bare))}")
    print(f"  ratio svg_to_png / svg2png: {statistics.median(ours) / statistics.median(bare):.2f}")
    print(f"scan_svg alone: median {ms(statistics.median(scan))}")


if __name__ == "__main__":
    main()
