"""Badge templates: personalise_svg (placeholders, escaping) and validate_template (cairosvg's gaps)."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import png as pypng
import pytest

import badgekiln
from badgekiln.errors import InvalidField, MalformedImage, RenderError
from badgekiln.render import PLACEHOLDERS, TemplateIssue, personalise_svg, svg_to_png, validate_template
from badgekiln.render.gaps import MAX_ISSUES
from badgekiln.render.templates import MAX_VALUE_CHARS

SVG_NS = "{http://www.w3.org/2000/svg}"


def template(body: str, extra: str = "") -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100" {extra}>'
        f"{body}</svg>"
    ).encode()


NAME_CARD = template(
    '<rect width="200" height="100" fill="#123456"/>'
    '<text x="10" y="60" font-size="24" fill="white" aria-label="Awarded to {{recipient_name}}">'
    "{{recipient_name}}</text>"
    '<text x="10" y="90" font-size="10" fill="white">{{ issued_on }} · {{issuer_name}}</text>'
)
HOSTILE_VALUE = "</text><image href=\"http://127.0.0.1:9/x\"/><text>&amp; 'q' {{issuer_name}}"


def texts(document: bytes) -> list[str]:
    root = ElementTree.fromstring(document)
    return ["".join(element.itertext()) for element in root.iter(f"{SVG_NS}text")]


# --- personalise_svg --------------------------------------------------------------------------


def test_placeholders_are_filled_in_text_and_attributes() -> None:
    values = {"recipient_name": "Ada Lovelace", "issued_on": "1 May 2026", "issuer_name": "Example U"}
    filled = personalise_svg(NAME_CARD, values)
    assert texts(filled) == ["Ada Lovelace", "1 May 2026 · Example U"]
    label = ElementTree.fromstring(filled).find(f"{SVG_NS}text").get("aria-label")  # type: ignore[union-attr]
    assert label == "Awarded to Ada Lovelace"


def test_values_with_markup_stay_text() -> None:
    # GIVEN a value that tries to close the element, add an image and re-open a placeholder
    filled = personalise_svg(
        NAME_CARD, {"recipient_name": HOSTILE_VALUE, "issued_on": "x", "issuer_name": "y"}
    )
    root = ElementTree.fromstring(filled)
    # THEN the document has exactly the template's elements, and the value is the text verbatim
    assert [element.tag.removeprefix(SVG_NS) for element in root.iter()] == ["svg", "rect", "text", "text"]
    assert texts(filled)[0] == HOSTILE_VALUE
    assert root.find(f"{SVG_NS}text").get("aria-label") == "Awarded to " + HOSTILE_VALUE  # type: ignore[union-attr]
    # AND a value's own "{{issuer_name}}" stays as it is (issuer_name is "y")
    assert texts(filled)[1] == "x · y"


def test_an_element_with_a_megabyte_name_is_filled_in_one_pass() -> None:
    name = "a" * 1_000_000  # its attributes were once looked for at every letter of it, for hours
    filled = personalise_svg(template(f'<{name} title="{{{{issuer_name}}}}"/>'), {"issuer_name": "U"})
    assert ElementTree.fromstring(filled)[0].get("title") == "U"


def test_attribute_whitespace_survives() -> None:
    filled = personalise_svg(template('<g data-who="{{recipient_name}}"/>'), {"recipient_name": "a\tb\nc"})
    assert ElementTree.fromstring(filled)[0].get("data-who") == "a\tb\nc"


def test_comments_are_left_alone_and_unused_values_are_fine() -> None:
    source = template("<!-- {{not_a_placeholder}} --><text>{{achievement_name}}</text>")
    filled = personalise_svg(source, dict.fromkeys(PLACEHOLDERS, "v"))
    assert b"<!-- {{not_a_placeholder}} -->" in filled
    assert texts(filled) == ["v"]


def test_a_template_without_placeholders_is_returned_unchanged() -> None:
    source = b'<?xml version="1.0" encoding="UTF-8"?>\n' + template("<rect/><!-- note -->")
    assert personalise_svg(source, {}) == source


def test_personalised_badges_render_differently() -> None:
    base = {"issued_on": "1 May 2026", "issuer_name": "Example U"}
    ada = svg_to_png(personalise_svg(NAME_CARD, base | {"recipient_name": "Ada"}))
    grace = svg_to_png(personalise_svg(NAME_CARD, base | {"recipient_name": "Grace Hopper"}))
    assert ada != grace
    width, height, _, _ = pypng.Reader(bytes=ada).read()
    assert (width, height) == (200, 100)


def test_issuing_flow_personalise_bake_svg_and_render_bake_png() -> None:
    # what issuing does per recipient: personalise, bake the SVG, and render + bake a PNG
    credential = '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}'
    values = {"recipient_name": "Ada <3", "issued_on": "1 May 2026", "issuer_name": "Example U"}
    svg = personalise_svg(NAME_CARD, values)
    for image, fmt in ((svg, "svg"), (svg_to_png(svg, size=256), "png")):
        found = badgekiln.extract(badgekiln.bake(image, credential))
        assert (found.format, found.spec, found.payload) == (fmt, "ob3", credential)


REFUSED_TEMPLATES = [
    pytest.param(template("<text>{{recipient_nam}}</text>"), "unknown-placeholder", id="unknown"),
    pytest.param(template("<text>{{ }}</text>"), "unknown-placeholder", id="empty"),
    pytest.param(template("<text>{{recipient_name}</text>"), "malformed-placeholder", id="unclosed"),
    pytest.param(template("<text>{{{recipient_name}}}</text>"), "malformed-placeholder", id="triple-brace"),
    pytest.param(template('<rect fill="{{recipient_name}}"/>'), "placeholder-position", id="fill"),
    pytest.param(template('<image href="{{verify_url}}"/>'), "placeholder-position", id="href"),
    pytest.param(
        template('<rect style="fill:{{recipient_name}}"/>'), "placeholder-position", id="style-attr"
    ),
    pytest.param(template("<style>text { x: {{issuer_name}} }</style>"), "placeholder-position", id="style"),
    pytest.param(template("<script>{{issuer_name}}</script>"), "placeholder-position", id="script"),
    pytest.param(template("<text><![CDATA[{{issuer_name}}]]></text>"), "placeholder-position", id="cdata"),
    pytest.param(template("<?pi {{issuer_name}}?><rect/>"), "placeholder-position", id="pi"),
    # a megabyte of spaces after "{{": once hours of backtracking
    pytest.param(template("<desc>{{" + " " * 1_000_000 + "</desc>"), "malformed-placeholder", id="long"),
]


@pytest.mark.parametrize(("source", "reason"), REFUSED_TEMPLATES)
def test_bad_placeholders_in_a_template_are_refused(source: bytes, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        personalise_svg(source, dict.fromkeys(PLACEHOLDERS, "v"))
    assert (caught.value.details["field"], caught.value.reason) == ("template", reason)


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({}, "values.recipient_name", "missing-value"),
        ({"recipient_name": "a", "favourite_colour": "b"}, "values.favourite_colour", "unknown-placeholder"),
        ({"recipient_name": 42}, "values.recipient_name", "type"),
        ({"recipient_name": "x" * (MAX_VALUE_CHARS + 1)}, "values.recipient_name", "too-long"),
        ({"recipient_name": "bell\x07"}, "values.recipient_name", "xml-char"),
        ({"recipient_name": "\ufffe"}, "values.recipient_name", "xml-char"),
    ],
)
def test_bad_values_are_refused(values: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(InvalidField) as caught:
        personalise_svg(template("<text>{{recipient_name}}</text>"), values)  # type: ignore[arg-type]
    assert (caught.value.details["field"], caught.value.reason) == (field, reason)


def test_longest_value_is_accepted() -> None:
    value = "é" * MAX_VALUE_CHARS
    assert texts(personalise_svg(template("<text>{{recipient_name}}</text>"), {"recipient_name": value})) == [
        value
    ]


@pytest.mark.parametrize(
    ("source", "error", "reason"),
    [
        ("<svg xmlns='http://www.w3.org/2000/svg'>é</svg>".encode("latin-1"), MalformedImage, "encoding"),
        (
            b"<?xml version='1.0' encoding='ISO-8859-1'?><svg xmlns='http://www.w3.org/2000/svg'/>",
            MalformedImage,
            "encoding",
        ),
        (
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + template("<text>&x;</text>"),
            MalformedImage,
            "entities",
        ),
        (template('<image href="https://example.org/logo.png"/>'), RenderError, "external-reference"),
    ],
)
def test_unsound_templates_are_refused(source: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as caught:
        personalise_svg(source, {})
    assert caught.value.details["reason"] == reason  # type: ignore[attr-defined]


def test_bad_calls() -> None:
    with pytest.raises(TypeError):
        personalise_svg("<svg/>", {})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        personalise_svg(NAME_CARD, [("recipient_name", "x")])  # type: ignore[arg-type]


# --- validate_template --------------------------------------------------------------------------


def test_a_sound_template_has_no_issues() -> None:
    assert validate_template(NAME_CARD) == []


def test_validate_template_raises_on_unusable_templates() -> None:
    with pytest.raises(InvalidField):
        validate_template(template("<text>{{nope}}</text>"))
    with pytest.raises(RenderError):
        validate_template(template('<use href="other.svg#a"/>'))


GAPS = [
    pytest.param('<rect fill="hsl(120, 50%, 50%)"/>', "hsl-color", id="hsl"),
    pytest.param('<rect style="fill: hsla(120, 50%, 50%, 0.5)"/>', "hsl-color", id="hsla-style"),
    pytest.param("<style>rect { stroke: hsl(0 50% 50%) }</style><rect/>", "hsl-color", id="hsl-stylesheet"),
    pytest.param('<rect fill="#ff000080"/>', "hex-alpha", id="hex8"),
    pytest.param('<stop stop-color="#f008"/>', "hex-alpha", id="hex4"),
    pytest.param('<rect fill="rgb(255 0 0)"/>', "color-syntax", id="rgb-spaces"),
    pytest.param('<rect fill="rebeccapurple"/>', "unsupported-color", id="unknown-keyword"),
    pytest.param('<rect fill="oklch(70% 0.1 120)"/>', "unsupported-color", id="oklch"),
    pytest.param('<g color="red"><rect fill="currentcolor"/></g>', "current-color-case", id="currentcolor"),
    pytest.param('<rect opacity="50%"/>', "percent-opacity", id="opacity-percent"),
    pytest.param('<rect fill-opacity="half"/>', "unsupported-value", id="opacity-word"),
    # a megabyte of digits or spaces: once hours of backtracking in the colour and number patterns
    pytest.param('<rect fill="rgb(1' + " " * 1_000_000 + 'x)"/>', "color-syntax", id="rgb-long"),
    pytest.param('<rect opacity="' + "1" * 1_000_000 + 'x"/>', "unsupported-value", id="opacity-long"),
    pytest.param(
        "<style>:root { --c: red } rect { fill: var(--c) }</style><rect/>", "css-variable", id="var"
    ),
    pytest.param('<rect width="calc(10px + 5px)"/>', "css-function", id="calc"),
    pytest.param("<style>@media print { rect { fill: red } }</style><rect/>", "css-at-rule", id="media"),
    pytest.param("<style>g { rect { fill: red } }</style><g><rect/></g>", "css-nesting", id="nesting"),
    pytest.param("<style>rect:nth-child(x) { fill: red }</style><rect/>", "css-selector", id="selector"),
    pytest.param('<text style="text-decoration: underline">a</text>', "ignored-property", id="underline"),
    pytest.param('<rect style="mix-blend-mode: multiply"/>', "ignored-property", id="blend"),
    pytest.param('<text textLength="100">a</text>', "ignored-property", id="textLength"),
    pytest.param("<foreignObject><p>hi</p></foreignObject>", "foreign-object", id="foreignObject"),
    pytest.param('<filter id="f"><feGaussianBlur stdDeviation="2"/></filter>', "filter-primitive", id="blur"),
    pytest.param('<rect><animate attributeName="x" to="9"/></rect>', "animation", id="animate"),
    pytest.param(
        '<switch><text systemLanguage="fr">Bonjour</text></switch>', "conditional", id="systemLanguage"
    ),
    pytest.param('<text font-family="Open Sans, DejaVu Sans">a</text>', "font-fallback", id="font-family"),
    pytest.param('<text font-family="serif">a</text>', "font-fallback", id="generic-serif"),
    pytest.param('<text font-weight="bolder">a</text>', "font-weight", id="bolder"),
]


@pytest.mark.parametrize(("body", "code"), GAPS)
def test_constructs_cairosvg_renders_wrongly_are_reported(body: str, code: str) -> None:
    issues = validate_template(template(body))
    assert [issue.code for issue in issues] == [code]
    assert all(isinstance(issue, TemplateIssue) for issue in issues)
    assert all(issue.message for issue in issues)


def test_supported_spellings_are_not_reported() -> None:
    body = (
        '<rect fill="#fff"/><rect fill="#A0B1C2"/><rect fill="rgb(10, 20, 30)"/>'
        '<rect fill="rgba(1,2,3,0.5)"/><rect fill="rgb(10%, 20%, 30%)"/><rect fill="none"/>'
        '<rect fill="transparent"/><rect fill="SteelBlue"/>'
        '<g color="red"><rect fill="currentColor"/></g><rect fill="inherit"/><rect opacity=".5"/>'
        '<text font-family="DejaVu Sans" font-weight="bold" font-style="italic">a</text>'
        '<text font-family="sans-serif" font-weight="700">b</text><text>{{recipient_name}}</text>'
        '<linearGradient id="g"><stop offset="0" stop-color="red" stop-opacity="0.4"/></linearGradient>'
        '<rect fill="url(#g)"/><filter id="f"><feOffset dx="1"/><feFlood flood-color="red"/></filter>'
    )
    assert validate_template(template(body)) == []


def test_where_names_the_element() -> None:
    (issue,) = validate_template(template('<rect id="bg" fill="hsl(1, 2%, 3%)"/>'))
    assert (issue.where, issue.property, issue.value) == ("rect#bg", "fill", "hsl(1, 2%, 3%)")


def test_a_template_without_a_size_is_reported() -> None:
    source = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>'
    assert [issue.code for issue in validate_template(source)] == ["no-size"]


def test_findings_are_capped() -> None:
    issues = validate_template(template('<rect fill="hsl(1,2%,3%)"/>' * (MAX_ISSUES + 50)))
    assert len(issues) == MAX_ISSUES


def test_the_trial_render_refuses_what_cairosvg_cannot_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    # a failure the rules do not know about still refuses the template, through the trial render
    from badgekiln.render import gaps

    monkeypatch.setattr(gaps, "_find", lambda root: iter(()))
    with pytest.raises(RenderError) as caught:
        validate_template(template('<rect width="5" height="5" fill="rgb(1 2 3)"/>'))
    assert caught.value.reason == "cairosvg"


def test_rendered_pixels_confirm_the_hsl_rule() -> None:
    # the reason the rule exists: cairosvg paints hsl() black
    png_bytes = svg_to_png(template('<rect width="200" height="100" fill="hsl(0, 100%, 50%)"/>'), 20, 10)
    _, _, rows, _ = pypng.Reader(file=io.BytesIO(png_bytes)).asRGBA8()
    assert tuple(next(iter(rows))[:4]) == (0, 0, 0, 255)
