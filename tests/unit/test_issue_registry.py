"""Reading issued credentials back: one by any of its names, an issuer's credentials a page at a
time, found by recipient or by the pipeline's external id through an index of one object per
credential (never a shared object every issuance writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import InvalidField, NotFound
from badgekiln.issue import create_achievement, create_issuer, issue_credential, revoke, suspend
from badgekiln.issue.credentials import Issued
from badgekiln.issue.registry import MAX_SCANNED, get_credential, list_credentials
from badgekiln.store import LocalStore, Store
from tests.issue_support import CountingStore, small_png

PUBLIC_URL = "https://badges.example.org"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(str(tmp_path))
    data = {"name": "Acme", "url": "https://acme.example", "slug": "acme", "suspension": True}
    create_issuer(store, PUBLIC_URL, data)
    for slug in ("teamwork", "rigour"):
        achievement = {"name": slug.title(), "slug": slug, "description": "d", "criteria": "c"}
        create_achievement(store, "acme", achievement, small_png())
    return store


def _issue(store: Store, recipient: str, **more: Any) -> Issued:
    return issue_credential(store, "acme", {"achievement": "teamwork", "recipient": recipient, **more})


def _names(page: Any) -> list[str]:
    return [view.record.name for view in page.credentials]


def test_issuing_answers_the_verify_page_and_the_external_id(store: LocalStore) -> None:
    issued = _issue(store, "ada@example.org", external_id="order-17")
    assert issued.verify_url == f"{PUBLIC_URL}/v/acme/{issued.name}"
    summary = issued.summary()
    assert summary["verify_url"] == issued.verify_url
    assert summary["external_id"] == "order-17"
    # a replay answers the same
    again = _issue(store, "ada@example.org", external_id="order-17", credential_id=None)
    assert again.external_id == "order-17"


def test_a_credential_is_read_back_by_name_id_or_url(store: LocalStore) -> None:
    issued = _issue(store, "Ada@Example.org", external_id="order-17")
    for ref in (issued.name, issued.id, issued.public_url, issued.image_url):
        assert ref is not None
        view = get_credential(store, "acme", ref).to_dict()
        assert view["name"] == issued.name
    assert view["state"] == "active"
    assert view["external_id"] == "order-17"
    assert view["achievement"] == "teamwork"
    assert view["recipient"] != "Ada@Example.org"
    assert "•" in view["recipient"]
    assert view["urls"] == {
        "credential": issued.public_url,
        "image": issued.image_url,
        "verify": issued.verify_url,
    }
    assert set(view["status"]["lists"]) == {"revocation", "suspension"}
    revoke(store, "acme", issued.name, reason="issued in error")
    after = get_credential(store, "acme", issued.name).to_dict()
    assert (after["state"], after["reason"]) == ("revoked", "issued in error")


def test_reading_back_refuses_what_is_not_a_credential_of_the_issuer(store: LocalStore) -> None:
    with pytest.raises(NotFound):
        get_credential(store, "acme", "no-such-credential")
    with pytest.raises(NotFound):
        get_credential(store, "acme", "https://elsewhere.example/issuers/acme/credentials/x.json")
    with pytest.raises(InvalidField):
        get_credential(store, "acme", "")
    with pytest.raises(NotFound):
        get_credential(store, "nobody", "x")


def test_listing_pages_through_every_credential_once(store: LocalStore) -> None:
    issued = {_issue(store, f"r{n}@example.org").name for n in range(7)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = list_credentials(store, "acme", {"limit": 3, "cursor": cursor})
        assert len(page.credentials) <= 3
        seen += _names(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(issued)  # name order, each once
    assert list_credentials(store, "acme").to_dict()["next_cursor"] is None


def test_listing_finds_by_recipient_external_id_achievement_and_state(store: LocalStore) -> None:
    ada = _issue(store, "ada@example.org", external_id="enrol-1")
    ada2 = issue_credential(store, "acme", {"achievement": "rigour", "recipient": "ADA@example.org"})
    bob = _issue(store, "bob@example.org", external_id="enrol-2")
    issue_credential(
        store,
        "acme",
        {"achievement": "teamwork", "recipient": {"identity": "https://ada.example", "type": "url"}},
    )
    by_recipient = list_credentials(store, "acme", {"recipient": " Ada@Example.ORG"})
    assert sorted(_names(by_recipient)) == sorted([ada.name, ada2.name])  # e-mail ignores case
    url = list_credentials(store, "acme", {"recipient": "https://ada.example", "recipient_type": "url"})
    assert len(url.credentials) == 1
    assert _names(list_credentials(store, "acme", {"external_id": "enrol-2"})) == [bob.name]
    assert (
        _names(list_credentials(store, "acme", {"external_id": "enrol-1", "recipient": "bob@example.org"}))
        == []
    )
    assert _names(
        list_credentials(store, "acme", {"recipient": "ada@example.org", "achievement": "rigour"})
    ) == [ada2.name]
    suspend(store, "acme", bob.name)
    assert _names(list_credentials(store, "acme", {"state": "suspended"})) == [bob.name]
    assert list_credentials(store, "acme", {"recipient": "nobody@example.org"}).credentials == ()


def test_listing_refuses_bad_queries(store: LocalStore) -> None:
    for query, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"cursor": "../x"}, "cursor"),
        ({"state": "lost"}, "state"),
        ({"external_id": "has\nnewline"}, "external_id"),
        ({"unknown": "x"}, "unknown"),
    ):
        with pytest.raises(InvalidField) as caught:
            list_credentials(store, "acme", query)
        assert caught.value.details.get("field") == field, query
    with pytest.raises(NotFound):
        list_credentials(store, "nobody")


def test_a_short_filtered_page_ends_early_with_a_cursor(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a filter that matches little cannot make one request read every record: it stops after
    # MAX_SCANNED records and hands out where to go on
    from badgekiln.issue import registry

    for n in range(5):
        _issue(store, f"r{n}@example.org")
    revoked = _issue(store, "z@example.org")
    revoke(store, "acme", revoked.name)
    monkeypatch.setattr(registry, "MAX_SCANNED", 2)
    found: list[str] = []
    cursor = None
    for _ in range(10):
        page = list_credentials(store, "acme", {"state": "revoked", "cursor": cursor})
        found += _names(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert found == [revoked.name]
    assert MAX_SCANNED >= 1000  # the real bound reads a page's worth many times over


def test_the_index_is_one_object_per_credential(tmp_path: Path) -> None:
    store = CountingStore(str(tmp_path))
    create_issuer(store, PUBLIC_URL, {"name": "Acme", "url": "https://acme.example", "slug": "acme"})
    create_achievement(
        store, "acme", {"name": "T", "slug": "teamwork", "description": "d", "criteria": "c"}, small_png()
    )
    store.writes.clear()
    issued = [_issue(store, "same@example.org", external_id="same-id") for _ in range(5)]
    index = {key: count for key, count in store.writes.items() if "/index/" in key}
    # one recipient entry and one external-id entry per credential, each written once
    assert len(index) == 2 * len(issued)
    assert set(index.values()) == {1}
    for credential in issued:
        assert sum(credential.name in key for key in index) == 2
    assert len(list_credentials(store, "acme", {"external_id": "same-id"}).credentials) == 5
