"""badgekiln.web.hosted: finding a hosted credential, its image, and the recipient check."""

from __future__ import annotations

from pathlib import Path

import pytest

from badgekiln.errors import NotFound
from badgekiln.hosting.layout import Layout
from badgekiln.model.ob2 import Assertion
from badgekiln.store import LocalStore
from badgekiln.web.claims import Claims
from badgekiln.web.hosted import (
    RecipientAnswer,
    check_recipient,
    document_of,
    find_credential,
    image_source,
    names_of,
)
from tests.web_support import Seeded, seed

PUBLIC = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalStore, Seeded]:
    store = LocalStore(str(tmp_path_factory.mktemp("hosted")))
    return store, seed(store, PUBLIC)


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/v/acme/1f2e", ("acme", "1f2e")),
        ("v/acme/1f2e", ("acme", "1f2e")),
        ("/issuers/acme/credentials/1f2e.json", ("acme", "1f2e")),
        ("/issuers/acme/credentials/1f2e.jwt", ("acme", "1f2e")),
        ("/issuers/acme/assertions/1f2e.jws", ("acme", "1f2e")),
        ("/issuers/acme/credentials/1f2e.png", None),
        ("/v/acme/1f2e/image.png", None),
        ("/v/Acme/1f2e", None),
        ("/v/acme/../x", None),
        ("/issuers/acme/profile.json", None),
    ],
)
def test_names_of(path: str, names: tuple[str, str] | None) -> None:
    assert names_of(path) == names


def test_find_credential_by_short_path_or_own_url(seeded: tuple[LocalStore, Seeded]) -> None:
    store, issued = seeded
    found = find_credential(store, f"/v/acme/{issued.ob2.name}")
    assert (found.spec, found.hosted.kind, found.page_path) == (
        "ob2",
        "assertion",
        f"v/acme/{issued.ob2.name}",
    )
    found = find_credential(store, f"/issuers/acme/credentials/{issued.valid.name}.json")
    assert (found.spec, found.hosted.kind) == ("ob3", "credential")
    with pytest.raises(NotFound):  # the URL names the JWT form, which does not exist
        find_credential(store, f"/issuers/acme/credentials/{issued.valid.name}.jwt")
    with pytest.raises(NotFound):
        find_credential(store, "/v/acme/nobody")
    with pytest.raises(NotFound):
        find_credential(store, "/private/keys/acme.pem")


@pytest.mark.parametrize(
    ("identity", "result"),
    [
        ("ada@example.org", "yes"),
        ("ada@EXAMPLE.org", "yes"),
        ("Ada@example.org", "no"),
        ("bob@example.org", "no"),
    ],
)
def test_check_recipient_ob3(identity: str, result: str, seeded: tuple[LocalStore, Seeded]) -> None:
    store, issued = seeded
    document = document_of(find_credential(store, f"/v/acme/{issued.valid.name}"))
    assert check_recipient(document, identity).result == result


def test_check_recipient_ob2_and_odd_documents(seeded: tuple[LocalStore, Seeded]) -> None:
    store, issued = seeded
    document = document_of(find_credential(store, f"/v/acme/{issued.ob2.name}"))
    assert check_recipient(document, "dee@example.org") == RecipientAnswer(
        "yes", "Yes: this badge was awarded to the identity you entered."
    )
    assert check_recipient(document, "ada@example.org").result == "no"
    assert check_recipient(None, "ada@example.org").result == "unknown"
    odd_recipient = {"type": "email", "hashed": "yes", "identity": "x"}
    odd = check_recipient(Assertion({"recipient": odd_recipient}), "a@b.co")
    assert odd.result == "unknown"
    assert odd.message.startswith("The recipient cannot be compared: ")


def test_image_source_prefers_the_baked_png(seeded: tuple[LocalStore, Seeded]) -> None:
    store, issued = seeded
    layout = Layout.parse(PUBLIC)
    credential = find_credential(store, f"/v/acme/{issued.valid.name}")
    found = image_source(store, layout, credential, Claims(spec="ob3"))
    assert found is not None
    assert (found[0].path, found[1]) == (f"issuers/acme/credentials/{issued.valid.name}.png", "png")
    credential = find_credential(store, f"/v/acme/{issued.svg.name}")
    found = image_source(store, layout, credential, Claims(spec="ob3"))
    assert found is not None
    assert found[1] == "svg"


def test_image_source_falls_back_to_a_hosted_achievement_image(
    seeded: tuple[LocalStore, Seeded], tmp_path: Path
) -> None:
    store, issued = seeded
    layout = Layout.parse(PUBLIC)
    credential = find_credential(store, f"/v/acme/{issued.valid.name}")
    bare = LocalStore(str(tmp_path))  # the same credential, without its baked image
    bare.put(credential.hosted.key, credential.body, content_type="application/ld+json")
    image = f"{PUBLIC}/issuers/acme/achievements/teamwork/image.png"
    bare.put(
        "public/issuers/acme/achievements/teamwork/image.png",
        store.get("public/issuers/acme/achievements/teamwork/image.png").body,
        content_type="image/png",
    )
    found = image_source(bare, layout, credential, Claims(spec="ob3", image=image))
    assert found is not None
    assert found[0].kind == "achievement-image"
    assert (
        image_source(bare, layout, credential, Claims(spec="ob3", image="https://elsewhere.example/i.png"))
        is None
    )
    # an SVG achievement image is shown in its place, but never a template with raw placeholders
    svg = f"{PUBLIC}/issuers/acme/achievements/teamwork/image.svg"
    for body, shown in (
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', True),
        (b"<svg>{{recipient_name}}</svg>", False),
    ):
        bare.put("public/issuers/acme/achievements/teamwork/image.svg", body, content_type="image/svg+xml")
        found = image_source(bare, layout, credential, Claims(spec="ob3", image=svg))
        assert (found is not None) is shown
        if found is not None:
            assert found[1] == "svg"
    # nor one this site would host but does not hold
    missing = f"{PUBLIC}/issuers/acme/achievements/absent/image.svg"
    assert image_source(bare, layout, credential, Claims(spec="ob3", image=missing)) is None
