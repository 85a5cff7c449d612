"""SVG rendering vetting: ``validate_template``, ``personalise_svg`` and ``svg_to_png``, small.

The input is an SVG template. Each case runs ``validate_template`` (the hardened scan —
well-formedness, entities, references, size, element, depth, text and drawing-work caps — the
placeholder lexer and filler, the scan of the filled result, the gap finder, and for a template
without gaps a trial render) and then ``svg_to_png`` at 32 pixels.

cairosvg's rasterisation is included, at a small size: the vetting exists to keep cairosvg and
cairo bounded, so the oracle must see what they do with what the vetting lets through (a foreign
exception is translated at one door, so a crash there would be an escaped native fault, a hang or
a memory blow-up, which are what this harness is for). The pixel count only scales the raster
step, which the vetting caps separately; a small canvas keeps the campaign at a useful speed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from badgekiln.errors import BadgeKilnError
from badgekiln.render import svg_to_png, validate_template
from fuzz.harnesses.seeds import EVENTS, REPO, VECTORS, files

__all__ = ["make_target", "seeds"]


def make_target(variant: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        with contextlib.suppress(BadgeKilnError):
            validate_template(data)
        svg_to_png(data, size=32)

    return target


def _png_data_uri(width: int, height: int) -> str:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    image = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" + b"\x80" * 3 * width * height))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(image).decode()


_MADE = {
    "style.svg": """<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
<style>.a { fill: hsl(120, 50%, 50%); } rect:first-child { stroke: #0f08; opacity: 50% }
@media print { .a { fill: red } } text { font-family: DejaVu Sans; font-weight: 600 }</style>
<rect class="a" width="50" height="50"/><text x="5" y="80" title="{{issuer_name}}">{{ recipient_name }}</text>
</svg>""",
    "defs.svg": """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
viewBox="0 0 40 20"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>
<pattern id="p" width="4" height="4"><circle r="1" fill="url(#g)"/></pattern>
<clipPath id="c"><rect width="10" height="10"/></clipPath><filter id="f"><feGaussianBlur stdDeviation="1"/>
</filter><marker id="m"><path d="M0 0L5 5"/></marker></defs>
<g clip-path="url(#c)" filter="url(#f)"><use xlink:href="#p"/><path d="M0 0 L10 10" marker-end="url(#m)"
fill="url(#p)"/></g><foreignObject width="5" height="5"/><animate attributeName="x"/></svg>""",
    "image.svg": f"""<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">
<image width="8" height="8" href="{_png_data_uri(4, 4)}"/></svg>""",
    "text.svg": """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"><text x="0" y="40" font-size="30"
fill="currentColor" style="fill: var(--x, #123)" aria-label="{{achievement_name}}">{{verify_url}}
<tspan dx="5">{{credential_id}} {{expires_on}} {{issued_on}}</tspan></text></svg>""",
}


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    from badgekiln.issue.demo import DEMO_BADGE_SVG
    from bench.bench_render import badge_svg

    yield "demo.svg", DEMO_BADGE_SVG
    yield "bench/badge.svg", badge_svg(polygons=12)
    for name, text in _MADE.items():
        yield f"made/{name}", text.encode("utf-8")
    yield from files(VECTORS.rglob("*.svg"))
    yield from files([REPO / "layers/badgekiln/badgekiln/web/static/favicon.svg"])
    for path in sorted(Path(EVENTS).glob("render-*.json")):
        event = json.loads(path.read_text("utf-8"))
        body = event["body"]
        if event.get("isBase64Encoded"):
            yield path.name, base64.b64decode(body)
        else:
            yield path.name, json.loads(body)["svg"].encode("utf-8")
