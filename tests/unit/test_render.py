"""badgekiln.render.svg_to_png: sizes and pixels, and every way an SVG could make it misbehave."""

from __future__ import annotations

import base64
import dataclasses
import io
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import png as pypng
import pytest

import badgekiln
from badgekiln.errors import InputTooLarge, MalformedImage, NotABadgeImage, RenderError, UnsupportedEncoding
from badgekiln.render import DEFAULT_LIMITS, RenderLimits, svg_to_png
from badgekiln.render import convert as convert_module
from badgekiln.render._scan import Scan
from tests.loopback import ConnectGuard, LoopbackServer, Route

REPO = Path(__file__).resolve().parents[2]

# --- tiny builders ----------------------------------------------------------------------------


def svg(body: str, width: object = 100, height: object = 100, extra: str = "") -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" {extra}>{body}</svg>'
    ).encode()


def png_file(width: int, height: int, rgba: tuple[int, int, int, int] = (255, 0, 0, 255)) -> bytes:
    """A real RGBA PNG (pypng), small enough to embed."""
    out = io.BytesIO()
    pypng.Writer(width, height, greyscale=False, alpha=True).write(out, [list(rgba) * width] * height)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """Signature + IHDR claiming ``width``×``height``: the claim alone must be refused."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real 8×8 JPEG whose frame header claims ``width``×``height``."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")  # SOF0: marker, length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def decode(png: bytes) -> tuple[int, int, list[list[int]]]:
    width, height, rows, _ = pypng.Reader(bytes=png).asRGBA8()
    return width, height, [list(row) for row in rows]


def pixel(rows: list[list[int]], x: int, y: int) -> tuple[int, ...]:
    return tuple(rows[y][4 * x : 4 * x + 4])


def inked(rows: list[list[int]]) -> int:
    """Pixels that are not fully transparent."""
    return sum(1 for row in rows for alpha in row[3::4] if alpha)


RED, BLUE, CLEAR = (255, 0, 0, 255), (0, 0, 255, 255), (0, 0, 0, 0)
TWO_HALVES = svg(
    '<rect width="50" height="100" fill="red"/><rect x="50" width="50" height="100" fill="#0000ff"/>'
)


# --- rendering --------------------------------------------------------------------------------


def test_renders_the_colours_where_the_svg_puts_them() -> None:
    # GIVEN a left-red, right-blue square WHEN rendered at twice its size
    width, height, rows = decode(svg_to_png(TWO_HALVES, 200, 200))
    # THEN the PNG is 200×200 and each half has its colour, edges included
    assert (width, height) == (200, 200)
    assert [pixel(rows, 0, 0), pixel(rows, 99, 199)] == [RED, RED]
    assert [pixel(rows, 100, 0), pixel(rows, 199, 199)] == [BLUE, BLUE]


@pytest.mark.parametrize(
    ("document", "kwargs", "expected"),
    [
        (TWO_HALVES, {}, (100, 100)),  # the SVG's own size
        (TWO_HALVES, {"width": 512, "height": 512}, (512, 512)),
        (TWO_HALVES, {"size": 64}, (64, 64)),
        (TWO_HALVES, {"width": 300}, (300, 300)),
        (TWO_HALVES, {"height": 30}, (30, 30)),
        (TWO_HALVES, {"width": 200, "height": 100}, (200, 100)),
        (svg("<rect/>", 200, 100), {"size": 50}, (50, 25)),  # landscape: size is the width
        (svg("<rect/>", 100, 200), {"size": 50}, (25, 50)),  # portrait: size is the height
        (svg("<rect/>", "10cm", "5cm"), {"size": 40}, (40, 20)),
        (svg("<rect/>", "100%", "100%", 'viewBox="0 0 30 60"'), {"size": 60}, (30, 60)),
    ],
)
def test_the_png_has_the_requested_size(
    document: bytes, kwargs: dict[str, int], expected: tuple[int, int]
) -> None:
    width, height, rows = decode(svg_to_png(document, **kwargs))
    assert (width, height) == expected
    assert (len(rows[0]) // 4, len(rows)) == expected


def test_aspect_ratio_is_kept_inside_a_different_canvas() -> None:
    # a square drawing in a 200×100 canvas is centred (preserveAspectRatio xMidYMid meet)
    _, _, rows = decode(
        svg_to_png(
            svg('<rect width="100" height="100" fill="red"/>', extra='viewBox="0 0 100 100"'), 200, 100
        )
    )
    assert pixel(rows, 100, 50) == RED
    assert [pixel(rows, 10, 50), pixel(rows, 190, 50)] == [CLEAR, CLEAR]


def test_text_is_drawn() -> None:
    document = svg('<text x="5" y="60" font-size="40" fill="black">Ada</text>', 200, 100)
    _, _, rows = decode(svg_to_png(document))
    assert inked(rows) > 300  # glyphs, not an empty canvas or a single box


def test_embedded_data_uri_images_render() -> None:
    for media_type, data in (
        ("image/png", png_file(2, 2, RED)),
        ("image/svg+xml", svg('<rect width="10" height="10" fill="blue"/>', 10, 10, 'viewBox="0 0 10 10"')),
    ):
        document = svg(f'<image href="{data_uri(data, media_type)}" width="100" height="100"/>')
        _, _, rows = decode(svg_to_png(document))
        assert pixel(rows, 50, 50) == (RED if media_type == "image/png" else BLUE)


def test_embedded_jpeg_renders() -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(out, "JPEG", quality=95)
    document = svg(f'<image href="{data_uri(out.getvalue(), "image/jpeg")}" width="100" height="100"/>')
    _, _, rows = decode(svg_to_png(document))
    r, g, b, a = pixel(rows, 50, 50)
    assert b > 200
    assert max(r, g) < 40
    assert a == 255


def test_a_doctype_without_entities_is_fine() -> None:
    document = (
        b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' + TWO_HALVES
    )
    assert decode(svg_to_png(document))[:2] == (100, 100)


def test_gradients_referenced_by_many_elements_are_not_counted_as_drawing() -> None:
    # an Illustrator-style stylesheet paints thousands of shapes with one gradient
    shapes = '<rect class="g" width="1" height="1"/>' * 5000
    document = svg(
        '<style>.g { fill: url(#grad) }</style><linearGradient id="grad"><stop offset="0" stop-color="red"/>'
        f'<stop offset="1" stop-color="blue"/></linearGradient>{shapes}'
    )
    assert svg_to_png(document, size=16).startswith(b"\x89PNG")


# --- hostile documents, one case per line -----------------------------------------------------

ENTITIES = '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
LOL = f'<?xml version="1.0"?><!DOCTYPE svg [{ENTITIES}<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
XXE = '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
PARAMETER_ENTITY = '<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
USE_BOMB = '<g id="l0"><rect width="1" height="1"/></g>' + "".join(
    f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * 10 + "</g>" for i in range(1, 7)
)
TEXT_1000 = '<defs><text id="t">' + "a" * 1000 + "</text></defs>"
PATTERN_200 = '<pattern id="p" width="9" height="9">' + "<rect/>" * 200 + "</pattern>"
HUGE = RenderLimits().max_input_bytes
MASK_20K = '<mask id="m" maskUnits="userSpaceOnUse" width="20000" height="20000"><rect/></mask>'
PATTERN_20K = '<pattern id="p" patternUnits="userSpaceOnUse" width="20000" height="20000"><rect/></pattern>'
MARKER = '<marker id="m"><path d="M0 0L5 5" marker-end="url(#m)"/></marker>'


def image(uri: str) -> bytes:
    return svg(f'<image href="{uri}" width="9" height="9"/>')


def cases(error: type[Exception], reason: str, **documents: bytes) -> list[object]:
    return [pytest.param(doc, error, reason, id=name.replace("_", "-")) for name, doc in documents.items()]


HOSTILE = [
    *cases(
        MalformedImage,
        "entities",
        xxe=XXE.encode() + svg("<text>&x;</text>"),
        billion_laughs=LOL.encode() + svg("<text>&c;</text>"),
        parameter_entity=PARAMETER_ENTITY.encode() + svg(""),
        embedded_svg_with_entities=image(data_uri(XXE.encode() + b"<svg>&x;</svg>", "image/svg+xml")),
    ),
    *cases(MalformedImage, "xml", truncated=b"<svg", two_roots=svg("") + svg("")),
    *cases(NotABadgeImage, "root", html=b"<html/>", svg_in_other_namespace=b'<svg xmlns="urn:other"/>'),
    *cases(
        UnsupportedEncoding,
        "xml-encoding",
        unknown_encoding=b'<?xml version="1.0" encoding="x-unknown"?>' + svg(""),
        multi_byte_encoding=b'<?xml version="1.0" encoding="shift_jis"?>' + svg(""),
    ),
    *cases(
        RenderError,
        "compressed",
        svgz=b"\x1f\x8b\x08\x00" + bytes(20),
        embedded_svgz=image(data_uri(b"\x1f\x8b\x08\x00" + bytes(20), "image/svg+xml")),
    ),
    *cases(InputTooLarge, "bytes", too_many_bytes=svg(" " * HUGE)),
    *cases(InputTooLarge, "elements", too_many_elements=svg("<g/>" * 10_001)),
    *cases(InputTooLarge, "depth", too_deep=svg("<g>" * 129 + "</g>" * 129)),
    *cases(InputTooLarge, "text", too_much_text=svg("<text>" + "a" * 10_001 + "</text>")),
    *cases(
        InputTooLarge,
        "render-cost",
        use_bomb=svg(f"<defs>{USE_BOMB}</defs><use href='#l6'/>"),
        text_drawn_1000_times=svg(TEXT_1000 + '<use href="#t"/>' * 1000),
        pattern_fill_inherited=svg(PATTERN_200 + '<g fill="url(#p)">' + "<rect/>" * 200 + "</g>"),
        pattern_fill_by_stylesheet=svg(
            "<style>.a{fill:url(#p)}</style>" + PATTERN_200 + '<rect class="a"/>' * 200
        ),
        huge_polygon=svg('<polygon points="' + " 1,2" * 120_000 + '"/>'),
        # cairosvg matches every selector against every element (matching rules: 4 M matches ≈ 1.3 s)
        stylesheet_times_elements=svg(
            "<style>" + "".join(f".c{i}{{fill:#123}}" for i in range(4000)) + "</style>" + "<rect/>" * 4000
        ),
        selector_lists_count_each_selector=svg(
            "<style>" + ",".join(f".c{i}" for i in range(4000)) + "{fill:#123}</style>" + "<rect/>" * 4000
        ),
    ),
    *cases(
        RenderError,
        "reference-cycle",
        use_itself=svg('<g id="a"><use href="#a"/></g>'),
        use_loop=svg('<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>'),
        pattern_fills_itself=svg('<pattern id="p"><rect fill="url(#p)"/></pattern><rect fill="url(#p)"/>'),
        mask_masks_itself=svg('<mask id="m"><rect mask="url(#m)"/></mask><rect mask="url(#m)"/>'),
        marker_on_itself=svg(MARKER + '<path d="M0 0L9 9" marker-end="url(#m)"/>'),
    ),
    *cases(
        RenderError,
        "canvas-too-large",
        intrinsic_canvas=svg("<rect/>", 30_000, 30_000),
        intrinsic_canvas_in_inches=svg("<rect/>", "100in", "100in"),
        huge_mask=svg(MASK_20K + '<rect width="9" height="9" mask="url(#m)"/>'),
        huge_pattern=svg(PATTERN_20K + '<rect width="9" height="9" fill="url(#p)"/>'),
    ),
    *cases(
        RenderError,
        "no-size",
        no_size=b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
        width_of_a_million_digits=svg("<rect/>", "1" * 1_000_000 + "x", 9),  # once hours of backtracking
        zero_size=svg("<rect/>", 0, 0),
    ),
    *cases(
        RenderError,
        "embedded-image",
        embedded_png_claims_huge=image(data_uri(png_header_only(30_000, 30_000))),
        embedded_png_truncated=image(data_uri(b"\x89PNG\r\n\x1a\n")),
        embedded_jpeg_claims_huge=image(data_uri(jpeg_claiming(5_000, 5_000), "image/jpeg")),
        embedded_jpeg_claims_a_bomb=image(data_uri(jpeg_claiming(30_000, 30_000), "image/jpeg")),
        embedded_gif=image(data_uri(b"GIF89a" + bytes(30), "image/gif")),
    ),
    *cases(RenderError, "data-uri", bad_base64=image("data:image/png;base64,!!!!")),
    # cairosvg 2.9.1 looped forever on numbers after a closepath (the render fuzz harness found it)
    *cases(
        RenderError,
        "path-data",
        number_after_closepath=svg('<path d="M0 0L9 9z1"/>'),
        fraction_after_closepath=svg('<path d="M0 0h3Z.4v1"/>'),
        word_after_closepath=svg('<path d="M0 0L9 9 z e"/>'),
        in_a_style_attribute=svg('<path style="d: M0 0 z 1"/>'),
        in_a_stylesheet=svg("<style>path { d: M0 0 z 1 }</style><path/>"),
        in_a_mask=svg(
            '<mask id="m"><path d="M0 0L9 9z1"/></mask><rect width="9" height="9" mask="url(#m)"/>'
        ),
        in_an_embedded_svg=image(data_uri(svg('<path d="M0 0z1"/>'), "image/svg+xml")),
    ),
    *cases(
        RenderError,
        "css",
        bad_selector=svg("<style>rect:nope { fill: url(#p) }</style><pattern id='p'/>"),
        # this and the next two once made a url() pattern backtrack for hours
        unclosed_urls=svg('<rect fill="url(' + "url(" * 100_000 + '"/>'),
        unclosed_urls_in_style=svg('<rect style="fill: url(' + "url(" * 100_000 + '"/>'),
    ),
    *cases(RenderError, "external-reference", url_then_spaces=svg('<rect fill="url(' + " " * 99_999 + '"/>')),
    *cases(
        RenderError,
        "cairosvg",
        rgb_space_syntax=svg('<rect width="5" height="5" fill="rgb(255 0 0)"/>'),
        percent_opacity=svg('<rect width="5" height="5" opacity="50%"/>'),
    ),
]


@pytest.mark.parametrize(("document", "error", "reason"), HOSTILE)
def test_hostile_documents_are_refused(document: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as caught:
        svg_to_png(document)
    assert type(caught.value) is error
    assert caught.value.details["reason"] == reason  # type: ignore[attr-defined]


def test_closepaths_followed_by_commands_still_render() -> None:
    # GIVEN two closed subpaths, separators and all, in a path
    document = svg('<path d="M 10,10 L 90,10 L 90,40 Z, M10 60 h80 v30 z" fill="#000"/>')
    # THEN both are drawn
    _, _, rows = decode(svg_to_png(document))
    assert pixel(rows, 50, 25)[:3] == pixel(rows, 50, 75)[:3] == (0, 0, 0)


def test_embedded_svgs_share_the_render_budget() -> None:
    # each embedded copy is within the caps alone; together they are not
    inner = svg("<g/>" * 4000, 9, 9)
    document = svg(
        "".join(f'<image href="{data_uri(inner, "image/svg+xml")}" width="9" height="9"/>' for _ in range(3))
    )
    with pytest.raises(InputTooLarge) as caught:
        svg_to_png(document)
    assert caught.value.reason == "elements"


def test_embedded_bytes_are_capped_counting_repeats() -> None:
    picture = data_uri(png_file(64, 64))
    document = svg(f'<image id="i" href="{picture}" width="9" height="9"/>' + '<use href="#i"/>' * 20)
    limits = dataclasses.replace(DEFAULT_LIMITS, max_embedded_bytes=10 * len(png_file(64, 64)))
    with pytest.raises(InputTooLarge) as caught:
        svg_to_png(document, limits=limits)
    assert caught.value.reason == "embedded-bytes"


@pytest.mark.parametrize(
    ("kwargs", "limits"),
    [
        ({"width": 4097, "height": 10}, DEFAULT_LIMITS),
        ({"size": 5000}, DEFAULT_LIMITS),
        ({"height": 4097}, DEFAULT_LIMITS),
        ({"width": 100, "height": 100}, RenderLimits(max_pixels=9999)),
        (
            {"width": 100},
            RenderLimits(max_pixels=9999),
        ),  # the height comes from the SVG: checked at the surface
    ],
)
def test_oversized_canvases_are_refused_before_allocation(
    kwargs: dict[str, int], limits: RenderLimits
) -> None:
    with pytest.raises(RenderError) as caught:
        svg_to_png(TWO_HALVES, limits=limits, **kwargs)
    assert caught.value.reason == "canvas-too-large"


def test_limits_at_the_boundary_are_accepted() -> None:
    assert decode(svg_to_png(TWO_HALVES, 100, 100, limits=RenderLimits(max_pixels=10_000, max_side=100)))[
        :2
    ] == (100, 100)
    assert svg_to_png(svg("<g/>" * 9_999)).startswith(b"\x89PNG")
    assert svg_to_png(svg("<g>" * 127 + "</g>" * 127)).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (("<svg/>",), {}, TypeError),
        ((TWO_HALVES,), {"limits": {}}, TypeError),
        ((TWO_HALVES, 0), {}, ValueError),
        ((TWO_HALVES, True), {}, ValueError),
        ((TWO_HALVES, 10.5), {}, ValueError),
        ((TWO_HALVES,), {"size": 10, "width": 10}, ValueError),
    ],
)
def test_bad_calls_raise_type_or_value_errors(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        svg_to_png(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(RenderLimits)])
def test_limits_must_be_positive_ints(field: str) -> None:
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match=field):
            RenderLimits(**{field: bad})  # type: ignore[arg-type]


# --- nothing is ever fetched or read ----------------------------------------------------------


def _external_documents(base: str) -> list[bytes]:
    """Every way an SVG can name something outside itself, pointed at ``base``."""
    nested = svg(f'<image href="{base}/nested.png"/>', 9, 9)
    return [
        svg(f'<image href="{base}/img.png" width="9" height="9"/>'),
        svg(f'<image xlink:href="{base}/img.png" width="9" height="9"/>'),
        svg(f'<use href="{base}/sprite.svg#icon"/>'),
        svg(f'<text><tref xlink:href="{base}/t.svg#t"/></text>'),
        svg(f'<style>@import url("{base}/style.css");</style>'),
        svg(f"<style>@\\69mport '{base}/escaped.css';</style>"),
        svg(
            f"<style>@font-face {{ font-family: X; src: url({base}/font.woff) }}</style>"
            '<text font-family="X">a</text>'
        ),
        svg(f'<rect width="9" height="9" fill="url({base}/paint.svg#g)"/>'),
        svg(f'<rect width="9" height="9" style="fill: url(\'{base}/p.svg#g\')"/>'),
        svg(f'<image href="{data_uri(nested, "image/svg+xml")}" width="9" height="9"/>'),
        b'<!DOCTYPE svg [<!ATTLIST image href CDATA "'
        + base.encode()
        + b'/default.png">]>'
        + svg('<image width="9" height="9"/>'),
    ]


def test_external_references_are_refused_and_never_fetched() -> None:
    with LoopbackServer({"/": Route(body=b"x")}) as server, ConnectGuard() as guard:
        for document in _external_documents(server.base):
            with pytest.raises(RenderError) as caught:
                svg_to_png(document)
            assert caught.value.reason == "external-reference", document
    assert server.connections == 0
    assert guard.attempts == []


def _no_scan(data: bytes, limits: RenderLimits, budget: object = None) -> Scan:
    from xml.etree.ElementTree import Element

    return Scan(root=Element("svg"), aspect=None)


def test_the_url_fetcher_refuses_on_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN the scan switched off, so cairosvg itself meets the references (the second lock)
    monkeypatch.setattr(convert_module, "scan_svg", _no_scan)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.png").write_bytes(png_file(1, 1))
    with LoopbackServer({"/": Route(body=png_file(1, 1))}) as server, ConnectGuard() as guard:
        for href in (
            server.url("/img.png"),
            "file:///etc/passwd",
            f"file://{tmp_path}/secret.png",
            "secret.png",
            "../x.png",
        ):
            # WHEN an image points outside THEN the fetcher refuses it by name
            with pytest.raises(RenderError) as caught:
                svg_to_png(svg(f'<image href="{href}" width="9" height="9"/>'))
            assert caught.value.reason == "external-reference"
        for rule in (f'@import "{server.url("/s.css")}";', f"@import url({server.url('/s.css')});"):
            with pytest.raises(RenderError) as caught:
                svg_to_png(svg(f"<style>{rule}</style><rect/>"))
            assert caught.value.reason == "external-reference"
    assert server.connections == 0
    assert guard.attempts == []


AUDIT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from badgekiln.render import svg_to_png
    from badgekiln.render import convert
    from badgekiln.render._scan import Scan
    from badgekiln.errors import BadgeKilnError

    # warm up: cairosvg imported, fonts configured
    svg_to_png(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><text>a</text></svg>')
    sentinel = sys.argv[1]
    events = []

    def hook(event, args):
        if event == "open" and args and sentinel in str(args[0]):
            events.append(["open", str(args[0])])
        elif event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
            events.append([event, repr(args)[:200]])

    sys.addaudithook(hook)
    refused = 0
    for scanned in (True, False):
        if not scanned:
            convert.scan_svg = lambda data, limits, budget=None: Scan(root=None, aspect=None)
        for href in (f"file://{sentinel}/secret.png", "secret.png", f"{sentinel}/secret.png", "http://127.0.0.1:9/x.png"):
            doc = ('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
                   f'<image href="{href}" width="9" height="9"/><style>@import "{href}";</style></svg>')
            try:
                svg_to_png(doc.encode())
            except BadgeKilnError:
                refused += 1
    print(json.dumps({"events": events, "refused": refused}))
    """
)


def test_no_file_or_socket_is_ever_opened(tmp_path: Path) -> None:
    # an audit hook sees every open() and connect() Python makes, cairosvg's urllib included
    (tmp_path / "secret.png").write_bytes(png_file(1, 1))
    result = subprocess.run(
        [sys.executable, "-c", AUDIT_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    import json

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"events": [], "refused": 8}


def test_a_missing_cairo_library_is_a_deployment_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    class Unloadable(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            raise OSError("cannot load library 'libcairo.so.2'")

    convert_module._guarded_surface_class.cache_clear()
    monkeypatch.setitem(sys.modules, "cairosvg.surface", Unloadable("cairosvg.surface"))
    try:
        with pytest.raises(RuntimeError, match=r"libcairo\.so\.2.*cairo layer"):
            svg_to_png(TWO_HALVES)
    finally:
        convert_module._guarded_surface_class.cache_clear()


# --- cost of importing, fonts --------------------------------------------------------------------

IMPORTS_SCRIPT = textwrap.dedent(
    """
    import sys
    import badgekiln, badgekiln.png, badgekiln.svg, badgekiln.baking, badgekiln.render, badgekiln.cli
    import badgekiln.render.templates, badgekiln.render.gaps
    from badgekiln.cli import build_parser
    build_parser()
    heavy = ("cairosvg", "cairocffi", "PIL", "tinycss2", "cssselect2")
    print(sorted(m for m in heavy if m in sys.modules))
    badgekiln.svg_to_png(b'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>')
    print("cairosvg" in sys.modules)
    """
)


def test_cairosvg_is_imported_only_by_a_render() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split("\n")[:2] == ["[]", "True"]


FONTS_SCRIPT = textwrap.dedent(
    """
    import json, os
    from badgekiln.render import svg_to_png

    def text(family):
        head = '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60">'
        body = f'<text x="5" y="45" font-size="40" font-family="{family}">Ada 42</text></svg>'
        return svg_to_png((head + body).encode())

    sans, serif, unknown = text("DejaVu Sans"), text("DejaVu Serif"), text("No Such Font")
    fonts = sorted({line.split()[-1] for line in open("/proc/self/maps") if line.rstrip().endswith(".ttf")})
    print(json.dumps({"same": sans == serif == unknown, "png": sans.hex(), "fonts": fonts,
                      "config": os.environ.get("FONTCONFIG_FILE")}))
    """
)


def _run_fonts(env: dict[str, str], cwd: Path) -> dict[str, object]:
    import json

    result = subprocess.run(
        [sys.executable, "-c", FONTS_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _clean_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FONTCONFIG", "XDG_"))}
    env.update(TMPDIR=str(tmp_path), HOME=str(tmp_path))
    return env


PROC_MAPS = pytest.mark.skipif(
    not Path("/proc/self/maps").exists(), reason="needs /proc to see which font files are mapped"
)


@PROC_MAPS
def test_text_renders_with_only_the_bundled_fonts(tmp_path: Path) -> None:
    # GIVEN no fontconfig settings in the environment (as on Lambda)
    report = _run_fonts(_clean_env(tmp_path), tmp_path)
    # THEN the generated config under TMPDIR is used, only bundled font files are opened, every
    # family falls back to DejaVu Sans (system DejaVu Serif stays invisible), and glyphs are drawn
    bundled = REPO / "layers/badgekiln/badgekiln/render/assets/fonts"
    assert report["config"] == f"{tmp_path}/badgekiln-fontconfig-{__import__('os').getuid()}/fonts.conf"
    assert report["fonts"] == [str(bundled / "DejaVuSans.ttf")]
    assert report["same"] is True
    _, _, rows = decode(bytes.fromhex(str(report["png"])))
    assert inked(rows) > 500


def _layer_style_fonts(tmp_path: Path) -> Path:
    """A folder like the cairo layer's /opt/fonts: one font and a fonts.conf naming the folder."""
    from badgekiln.render._fonts import FONTS_DIR, render_config

    fonts = tmp_path / "opt-fonts"
    fonts.mkdir()
    (fonts / "DejaVuSans.ttf").write_bytes((FONTS_DIR / "DejaVuSans.ttf").read_bytes())
    (fonts / "fonts.conf").write_text(render_config(fonts, tmp_path / "cache"))
    return fonts


@PROC_MAPS
@pytest.mark.parametrize("variable", ["FONTCONFIG_FILE", "FONTCONFIG_PATH"])
def test_an_operator_font_configuration_is_respected(tmp_path: Path, variable: str) -> None:
    # GIVEN the environment naming a layer-style configuration (as the template does on Lambda)
    fonts = _layer_style_fonts(tmp_path)
    value = str(fonts / "fonts.conf") if variable == "FONTCONFIG_FILE" else str(fonts)
    report = _run_fonts(_clean_env(tmp_path) | {variable: value}, tmp_path)
    # THEN it is used as it is
    assert report["config"] == (value if variable == "FONTCONFIG_FILE" else None)
    assert report["fonts"] == [str(fonts / "DejaVuSans.ttf")]


@PROC_MAPS
def test_a_fontconfig_path_that_is_not_there_falls_back_to_the_bundled_fonts(tmp_path: Path) -> None:
    # GIVEN the template's FONTCONFIG_PATH=/opt/fonts on a machine without the layer (badgekiln serve)
    report = _run_fonts(_clean_env(tmp_path) | {"FONTCONFIG_PATH": str(tmp_path / "no-such-dir")}, tmp_path)
    bundled = REPO / "layers/badgekiln/badgekiln/render/assets/fonts"
    assert report["fonts"] == [str(bundled / "DejaVuSans.ttf")]
    assert report["same"] is True


# --- rendered badges are bakeable -----------------------------------------------------------------


def test_a_rendered_png_bakes_and_extracts() -> None:
    payload = (
        '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://example.org/a/1"}'
    )
    rendered = svg_to_png(TWO_HALVES, size=128)
    baked = badgekiln.bake(rendered, payload)
    found = badgekiln.extract(baked)
    assert (found.format, found.carrier, found.payload) == ("png", "iTXt:openbadges", payload)
    # baking adds a chunk and leaves the pixels alone
    assert decode(baked) == decode(rendered)


def test_a_badge_sized_stylesheet_still_renders() -> None:
    # 50 rules over 500 elements (25,000 matches) is far inside the budget, and its rules apply
    rules = "".join(f".c{i}{{fill:#c33}}" for i in range(50))
    rects = "".join(f'<rect class="c{i % 50}" x="{i % 10}" width="1" height="10"/>' for i in range(500))
    width, height, rows = decode(svg_to_png(svg(f"<style>{rules}</style>{rects}", width=10, height=10)))
    assert (width, height) == (10, 10)
    assert rows[5][0:4] == [204, 51, 51, 255]
