"""Hosted SVGs hold nothing that runs or reaches out (issue #14 item 3): an achievement image or
logo with scripts, handlers, foreign objects or external references is refused before it is
stored; an inert one is stored byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from badgekiln.errors import MalformedImage
from badgekiln.issue import create_achievement, create_issuer
from badgekiln.store import LocalStore
from badgekiln.svgcontent import check_inert

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'

ACTIVE = [
    "<script>alert(1)</script>",
    '<script xlink:href="https://evil.example/x.js"/>',
    '<rect width="1" height="1" onclick="alert(1)"/>',
    '<rect width="1" height="1" ONLOAD="alert(1)"/>',
    '<g onmouseover="alert(1)"><rect/></g>',
    '<foreignObject width="9" height="9"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>',
    '<image href="https://tracker.example/pixel.png" width="1" height="1"/>',
    '<image xlink:href="//tracker.example/p.png"/>',
    '<use href="https://evil.example/sprites.svg#a"/>',
    '<a href="javascript:alert(1)"><rect/></a>',
    '<a href="jav&#x09;ascript:alert(1)"><rect/></a>',
    '<set attributeName="href" to="javascript:alert(1)"/>',
    '<rect style="fill: url(https://evil.example/f.svg#g)"/>',
    "<style>@import url(https://evil.example/a.css);</style>",
    "<style>rect { fill: url( 'http://evil.example/p' ) }</style>",
    '<h:iframe xmlns:h="http://www.w3.org/1999/xhtml" src="https://evil.example"/>',
    '<embed src="x"/>',
]
INERT = [
    '<rect width="1" height="1" fill="url(#g)"/>',
    '<linearGradient id="g"/><use href="#g"/><use xlink:href="#g"/>',
    '<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>',
    "<style>rect { fill: url(#g) } .online { color: red }</style>",
    '<text font-family="sans-serif">Online: javascript is not run here</text>',
    '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>',
    '<openbadges:assertion xmlns:openbadges="http://openbadges.org" verify="https://a.example/1.json"/>',
]


@pytest.mark.parametrize("body", ACTIVE)
def test_active_content_is_refused(body: str) -> None:
    with pytest.raises(MalformedImage) as caught:
        check_inert(SVG.format(body).encode())
    assert caught.value.reason == "active-content"


def test_a_stylesheet_instruction_is_refused() -> None:
    with pytest.raises(MalformedImage) as caught:
        check_inert(b'<?xml-stylesheet href="https://evil.example/a.css"?>' + SVG.format("").encode())
    assert caught.value.reason == "active-content"


@pytest.mark.parametrize("body", INERT)
def test_inert_content_passes(body: str) -> None:
    check_inert(SVG.format(body).encode())


def test_broken_xml_is_malformed() -> None:
    with pytest.raises(MalformedImage) as caught:
        check_inert(b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')
    assert caught.value.reason == "xml"


@pytest.mark.parametrize("body", [ACTIVE[0], ACTIVE[2], ACTIVE[5], ACTIVE[6]])
def test_an_achievement_image_with_active_content_is_refused_before_it_is_stored(
    tmp_path: Path, body: str
) -> None:
    store = LocalStore(str(tmp_path))
    profile = {"name": "Acme", "url": "https://acme.example", "slug": "acme"}
    create_issuer(store, "https://badges.example.org", profile)
    achievement = {"name": "Teamwork", "description": "d", "criteria": "c"}
    with pytest.raises(MalformedImage) as caught:
        create_achievement(store, "acme", achievement, SVG.format(body).encode())
    assert caught.value.reason == "active-content"
    assert not list(tmp_path.rglob("*teamwork*"))


def test_an_inert_achievement_image_is_stored_byte_for_byte(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    profile = {"name": "Acme", "url": "https://acme.example", "slug": "acme"}
    create_issuer(store, "https://badges.example.org", profile)
    image = SVG.format('<circle r="4" fill="url(#g)"/>').encode()
    create_achievement(store, "acme", {"name": "Teamwork", "description": "d", "criteria": "c"}, image)
    assert store.get("public/issuers/acme/achievements/teamwork/image.svg").body == image
