"""badgekiln.svg: hardened, namespace-aware carrier extraction and byte-preserving baking."""

from __future__ import annotations

import socket
import tracemalloc
from xml.dom import minidom

import pytest
from hypothesis import given
from hypothesis import strategies as st

from badgekiln import svg
from badgekiln.errors import (
    AmbiguousBadge,
    MalformedImage,
    MalformedPayload,
    NoBadgeData,
    NotABadgeImage,
    UnsupportedEncoding,
)

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
OB2 = 'xmlns:openbadges="http://openbadges.org"'
OB3 = 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"'
JSON = '{"id": "https://example.org/a/1"}'
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"


def doc(body: str = "", *, attrs: str = OB2, prolog: str = "", encoding: str = "utf-8") -> bytes:
    return f'{prolog}<svg {SVG_NS} {attrs} viewBox="0 0 10 10">{body}<rect width="5"/></svg>\n'.encode(
        encoding
    )


ASSERTION = f"<openbadges:assertion><![CDATA[ {JSON} ]]></openbadges:assertion>"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket (an external DTD or entity fetch) fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the SVG parser tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- extraction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (doc(ASSERTION), ("svg:assertion", JSON)),
        (doc(f"<openbadges:credential verify='{JWS}'/>", attrs=OB3), ("svg:credential", JWS)),
        (doc(f'<openbadges:assertion verify="https://example.org/a/1">\n  <![CDATA[\n{JSON}\n]]>\n'
             "</openbadges:assertion>"), ("svg:assertion", JSON)),  # the body wins over verify
        (doc('<openbadges:assertion verify="https://example.org/a/1">  <![CDATA[]]> </openbadges:assertion>'),
         ("svg:assertion", "https://example.org/a/1")),  # an empty body falls back to verify
        (doc(f'<ob:assertion xmlns:ob="http://openbadges.org" verify="{JWS}"/>', attrs=""),
         ("svg:assertion", JWS)),  # matched by namespace, not prefix
        (doc(f'<credential xmlns="https://purl.imsglobal.org/ob/v3p0" verify="{JWS}"/>', attrs=""),
         ("svg:credential", JWS)),  # default namespace
        (doc(f"<g><g>{ASSERTION}</g></g>"), ("svg:assertion", JSON)),  # anywhere, not only first
        (doc("<openbadges:assertion>{&quot;a&quot;: &#x22;&amp;&lt;&#x1F393;&#34;}</openbadges:assertion>"),
         ("svg:assertion", '{"a": "&<🎓"}')),  # text with references
        (doc(f"<openbadges:assertion>\u00a0{JSON}\u00a0</openbadges:assertion>"),
         ("svg:assertion", f"\u00a0{JSON}\u00a0")),  # only XML whitespace is trimmed
        (doc(ASSERTION, prolog="<!--" + "x" * 400 + "-->\n"), ("svg:assertion", JSON)),  # <svg after 256
        (doc(ASSERTION, prolog='<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
             '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'), ("svg:assertion", JSON)),
        (doc("<openbadges:assertion>é &#10003;</openbadges:assertion>", encoding="latin-1",
             prolog='<?xml version="1.0" encoding="ISO-8859-1"?>'), ("svg:assertion", "é ✓")),
        (doc(ASSERTION, prolog='<?xml version="1.0" encoding="UTF-16"?>', encoding="utf-16"),
         ("svg:assertion", JSON)),  # UTF-16 takes the careful path
        (doc(f'<openbadges:assertion verify="{JWS}"/>').replace(f" {SVG_NS}".encode(), b""),
         ("svg:assertion", JWS)),  # an <svg> without namespace
        (doc(f"<!-- <openbadges:assertion verify='decoy'/> -->{ASSERTION}"), ("svg:assertion", JSON)),
        (doc(f"<p{'x' * 100}:assertion xmlns:p{'x' * 100}='http://openbadges.org' verify='{JWS}'/>"),
         ("svg:assertion", JWS)),  # a prefix too long for the quick look-up
        (doc("<!-- <assertion> -->" * 70 + ASSERTION), ("svg:assertion", JSON)),  # many decoys
        (doc(f"<text>credential</text><x:credential xmlns:x='urn:other'/>{ASSERTION}"),
         ("svg:assertion", JSON)),
    ],
    ids=["ob2-cdata", "ob3-verify", "body-wins", "empty-body", "other-prefix", "default-namespace",
         "nested", "references", "nbsp-kept", "svg-after-256", "public-doctype", "latin-1", "utf-16",
         "no-svg-namespace", "decoy-in-comment", "long-prefix", "many-decoys", "other-namespace"],
)  # fmt: skip
def test_extract(image: bytes, expected: tuple[str, str]) -> None:
    assert svg.extract(image) == expected


@pytest.mark.parametrize(
    "image",
    [
        doc(),
        doc(f"<openbadges:assertion verify='{JWS}'/>", attrs='xmlns:openbadges="urn:not-badges"'),
        doc(f"<assertion verify='{JWS}'/>"),  # in the SVG namespace
        doc(f"<![CDATA[<openbadges:assertion verify='{JWS}'/>]]>".join(["<text>", "</text>"])),
    ],
    ids=["plain", "prefix-bound-elsewhere", "svg-namespace", "inside-cdata"],
)
def test_no_badge_data(image: bytes) -> None:
    with pytest.raises(NoBadgeData):
        svg.extract(image)


def test_element_without_body_or_verify_yields_an_empty_payload() -> None:
    assert svg.extract(doc("<openbadges:assertion>  </openbadges:assertion>")) == ("svg:assertion", "")


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


@pytest.mark.parametrize(
    ("image", "error", "reason"),
    [
        (b"", NotABadgeImage, None),
        (b"not xml", NotABadgeImage, None),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', NotABadgeImage, None),
        (b'<svg xmlns="urn:not-svg"/>', NotABadgeImage, None),
        (doc("&lol9;", prolog=BILLION_LAUGHS), MalformedImage, "dtd"),
        (doc("&xxe;", prolog='<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'), MalformedImage,
         "dtd"),
        (doc("<text>&xxe;</text>", prolog='<!DOCTYPE svg SYSTEM "http://attacker.example/x.dtd">'),
         MalformedImage, "entities"),
        (doc("<text>&xxe;</text>"), MalformedImage, "xml"),  # undefined entity, no DTD
        (doc(ASSERTION)[:-30], MalformedImage, "truncated"),
        (doc(ASSERTION)[: doc(ASSERTION).index(b"]]>")], MalformedImage, "truncated"),  # inside CDATA
        (doc("<g></h>"), MalformedImage, "xml"),
        (doc("<bad:thing/>"), MalformedImage, "xml"),  # unbound prefix
        (doc(ASSERTION + ASSERTION), AmbiguousBadge, None),
        (doc(f"<openbadges:credential verify='{JWS}' xmlns:openbadges='https://purl.imsglobal.org/ob/v3p0'/>"
             + ASSERTION), AmbiguousBadge, None),
        (doc(f"<g>{ASSERTION}</g><g><g>{ASSERTION}</g></g>"), AmbiguousBadge, None),
        (doc(f"<openbadges:assertion>{ASSERTION}</openbadges:assertion>"), AmbiguousBadge, None),
        (doc("<openbadges:assertion><g/>{}</openbadges:assertion>"), MalformedImage, "carrier"),
        (b'<?xml version="1.0" encoding="x-unknown"?><svg/>', UnsupportedEncoding, "xml-encoding"),
        (b'<?xml version="1.0" encoding="shift_jis"?><svg/>', UnsupportedEncoding, "xml-encoding"),
        (b'<?xml version="1.0" encoding="cp037"?><svg/>', UnsupportedEncoding, "xml-encoding"),
    ],
    ids=["empty", "text", "html", "foreign-svg", "billion-laughs", "xxe", "external-dtd-entity",
         "undefined-entity", "truncated", "truncated-in-cdata", "mismatched-tag", "unbound-prefix",
         "duplicate", "ob2-and-ob3", "duplicate-nested", "carrier-in-carrier", "child-element",
         "unknown-encoding", "multi-byte-encoding", "ebcdic"],
)  # fmt: skip
def test_hostile_svg(image: bytes, error: type[Exception], reason: str | None) -> None:
    with pytest.raises(error) as caught:
        svg.extract(image)
    assert getattr(caught.value, "reason", None) == reason


def test_truncated_anywhere_after_the_root() -> None:
    whole = doc(ASSERTION)
    for cut in range(whole.index(b">", whole.index(b"<svg")) + 1, len(whole.rstrip())):
        with pytest.raises(MalformedImage):
            svg.extract(whole[:cut])


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (b"<svg/>", ("", "svg")),
        (doc(), ("http://www.w3.org/2000/svg", "svg")),
        (b"<?xml version='1.0'?>\n<!-- c -->\n<?pi x?>\n<html/>", ("", "html")),
        (b"\xef\xbb\xbf" + doc(), ("http://www.w3.org/2000/svg", "svg")),
    ],
)
def test_root_name_reads_only_the_prolog(image: bytes, expected: tuple[str, str]) -> None:
    assert svg.root_name(image) == expected
    assert svg.root_name(image + b"<<< not well-formed after the root") == expected


# --- baking ------------------------------------------------------------------------------------


def _without(data: bytes, *pieces: bytes) -> bytes:
    for piece in pieces:
        assert data.count(piece) == 1
        data = data.replace(piece, b"")
    return data


def test_bake_jws_splices_a_self_closing_element_and_keeps_every_other_byte() -> None:
    original = b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- keep me -->\n' + doc(attrs="")
    baked = svg.bake(original, JWS, "ob3", in_attribute=True)
    element = f'<openbadges:credential verify="{JWS}"/>'.encode()
    declaration = b' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"'
    assert baked.index(element) == baked.index(b">", baked.index(b"<svg")) + 1
    assert _without(baked, element, declaration) == original
    assert svg.extract(baked) == ("svg:credential", JWS)


def test_bake_json_goes_in_cdata() -> None:
    baked = svg.bake(doc(attrs=""), JSON, "ob2", in_attribute=False)
    assert f"<openbadges:assertion><![CDATA[{JSON}]]></openbadges:assertion>".encode() in baked
    assert svg.extract(baked) == ("svg:assertion", JSON)


@pytest.mark.parametrize(
    "payload",
    [
        '{"a": "]]>"}',
        '{"a": "]]]]>>"}',
        '{"a": "x"}\r\n',
        '{"a":\r\n"\u2028 ünï ✓ 🎓"}',
        '{"q": "\\"quoted\\" & <tag> \'single\'"}',
        "]]>",
    ],
)
@pytest.mark.parametrize("in_attribute", [True, False])
def test_awkward_payloads_round_trip(payload: str, in_attribute: bool) -> None:
    baked = svg.bake(doc(), payload.strip(), "ob2", in_attribute=in_attribute)
    assert svg.extract(baked)[1] == payload.strip()
    minidom.parseString(baked)  # still well-formed for an independent parser


def test_bake_replaces_every_existing_carrier() -> None:
    original = doc(
        f"<g>{ASSERTION}</g>"
        f"<openbadges:credential xmlns:openbadges='https://purl.imsglobal.org/ob/v3p0' verify='{JWS}'/>"
        f"<openbadges:assertion>{ASSERTION}</openbadges:assertion>"
    )
    baked = svg.bake(original, "https://example.org/new", "ob2", in_attribute=True)
    assert baked.count(b"openbadges:assertion") == 1
    assert b"openbadges:credential" not in baked
    assert svg.extract(baked) == ("svg:assertion", "https://example.org/new")


def test_rebaking_is_idempotent() -> None:
    original = doc(attrs="")
    once = svg.bake(original, JSON, "ob2", in_attribute=False)
    assert svg.bake(once, JSON, "ob2", in_attribute=False) == once
    assert svg.bake(once, JWS, "ob2", in_attribute=True) == svg.bake(original, JWS, "ob2", in_attribute=True)


def test_prefix_bound_to_the_other_spec_is_redeclared_on_the_element() -> None:
    # GIVEN an SVG whose root binds "openbadges" to the OB 2.0 namespace
    baked = svg.bake(doc(ASSERTION), JWS, "ob3", in_attribute=True)
    # THEN the OB 3.0 element declares its own namespace and the root keeps its declaration
    assert b'<openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" verify=' in baked
    assert baked.count(OB2.encode()) == 1
    assert svg.extract(baked) == ("svg:credential", JWS)


def test_self_closing_root_is_opened() -> None:
    baked = svg.bake(b'<svg xmlns="http://www.w3.org/2000/svg" />', JWS, "ob2", in_attribute=True)
    assert baked == (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        + f'<openbadges:assertion verify="{JWS}"/></svg>'.encode()
    )
    assert svg.extract(baked) == ("svg:assertion", JWS)


def test_root_start_tag_with_awkward_attributes() -> None:
    original = b"<svg xmlns='http://www.w3.org/2000/svg'\n   data-x='a>b' data-y=\"c/>d\"\t><g/></svg>"
    baked = svg.bake(original, JWS, "ob2", in_attribute=True)
    assert baked.startswith(
        original[: original.index(b"\t>")] + b' xmlns:openbadges="http://openbadges.org"\t>'
    )
    assert svg.extract(baked) == ("svg:assertion", JWS)


def test_latin1_document_keeps_its_encoding() -> None:
    # GIVEN an ISO-8859-1 SVG and a payload with characters Latin-1 lacks
    original = doc(
        "<text>café</text>", prolog='<?xml version="1.0" encoding="ISO-8859-1"?>', encoding="latin-1"
    )
    payload = '{"name": "café ✓ 🎓 ]]>"}'
    baked = svg.bake(original, payload, "ob2", in_attribute=False)
    # THEN the output is still Latin-1 (characters outside it are references) and round-trips
    assert baked.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    for piece in ("café".encode("latin-1"), b"&#10003;", b"&#127891;"):
        assert piece in baked
    assert svg.extract(baked) == ("svg:assertion", payload)
    assert svg.extract(svg.bake(original, payload, "ob2", in_attribute=True)) == ("svg:assertion", payload)


@pytest.mark.parametrize(
    ("image", "payload", "error"),
    [
        (doc(encoding="utf-16"), JWS, UnsupportedEncoding),
        (doc(prolog='<?xml version="1.0" encoding="UTF-16"?>', encoding="utf-16"), JWS, UnsupportedEncoding),
        (doc(), "bad \x01 control", MalformedPayload),
        (doc(), "bad \uffff noncharacter", MalformedPayload),
        (doc(), "lone \ud800 surrogate", MalformedPayload),
        (b"<html/>", JWS, NotABadgeImage),
        (doc(ASSERTION + ASSERTION)[:-20], JWS, MalformedImage),
        (doc("&lol9;", prolog=BILLION_LAUGHS), JWS, MalformedImage),
    ],
)
def test_bake_refuses(image: bytes, payload: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        svg.bake(image, payload, "ob2", in_attribute=True)


def test_bake_refuses_bad_calls() -> None:
    with pytest.raises(ValueError, match="spec"):
        svg.bake(doc(), JWS, "ob4", in_attribute=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        svg.bake("<svg/>", JWS, "ob2", in_attribute=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        svg.extract("<svg/>")  # type: ignore[arg-type]


def _large_svg(size: int) -> bytes:
    shape = '<g><path fill="#123456" d="M 1,2 L 3,4 L 5,6 Z"/><title>t</title></g>\n'
    return doc(shape * (size // len(shape)), attrs="")


@pytest.mark.parametrize("in_attribute", [True, False])
def test_memory_stays_within_four_times_the_input(in_attribute: bool) -> None:
    image = _large_svg(1 << 20)
    tracemalloc.start()
    try:
        baked = svg.bake(image, JSON, "ob2", in_attribute=in_attribute)
        svg.extract(baked)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4 * len(image)


_XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or c >= " "
    ),
    max_size=200,
)


@given(_XML_TEXT, st.booleans(), st.sampled_from(["ob2", "ob3"]))
def test_round_trip_any_xml_text(payload: str, in_attribute: bool, spec: str) -> None:
    payload = payload.strip(" \t\r\n")
    baked = svg.bake(doc(attrs=""), payload, spec, in_attribute=in_attribute)  # type: ignore[arg-type]
    assert svg.extract(baked) == ("svg:assertion" if spec == "ob2" else "svg:credential", payload)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        (b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg">\r\n<g/>\r\n</svg>',
         b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">{E}'
         b"\r\n<g/>\r\n</svg>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><g/>'
         b'<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="old"/></svg>',
         b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">{E}<g/></svg>'),
        (b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:openbadges='http://openbadges.org'>"
         b"<openbadges:assertion verify='old'>\n</openbadges:assertion >\n</svg>",
         b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:openbadges='http://openbadges.org'>{E}\n</svg>"),
    ],
    ids=["bom-crlf", "last-child-with-own-declaration", "end-tag-with-space"],
)  # fmt: skip
def test_splice_positions(original: bytes, expected: bytes) -> None:
    element = f'<openbadges:assertion verify="{JWS}"/>'.encode()
    assert svg.bake(original, JWS, "ob2", in_attribute=True) == expected.replace(b"{E}", element)
