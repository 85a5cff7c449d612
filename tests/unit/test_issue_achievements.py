"""Achievements: OB 3.0 Achievement and OB 2.0 BadgeClass from one record, checked images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from badgekiln.errors import Conflict, InputTooLarge, InvalidField, MalformedImage, NotABadgeImage, NotFound
from badgekiln.hosting import layout as paths
from badgekiln.issue import (
    achievement_summary,
    create_achievement,
    create_issuer,
    get_achievement,
    list_achievements,
)
from badgekiln.issue.achievements import MAX_IMAGE_BYTES
from badgekiln.issue.records import IssuerRecord
from badgekiln.store import LocalStore
from tests.issue_support import TEMPLATE_SVG, small_png

PUBLIC_URL = "https://badges.example.org"
TEAMWORK: dict[str, Any] = {
    "name": "Teamwork",
    "description": "Collaborates within a group.",
    "criteria": "Nominated by peers.",
    "criteria_url": "https://acme.example/criteria/teamwork",
    "achievement_type": "Badge",
    "alignments": [
        {"target_name": "Collaboration", "target_url": "https://framework.example/c", "target_code": "C1"}
    ],
    "tags": ["soft-skills", "teams"],
}


@pytest.fixture
def issuer(tmp_path: Path) -> tuple[LocalStore, IssuerRecord]:
    store = LocalStore(str(tmp_path))
    return store, create_issuer(
        store, PUBLIC_URL, {"name": "Acme", "url": "https://acme.example", "slug": "acme"}
    )


def test_both_documents_are_published(issuer: tuple[LocalStore, IssuerRecord]) -> None:
    store, acme = issuer
    record = create_achievement(store, "acme", TEAMWORK, small_png())
    assert record["slug"] == "teamwork"
    assert record["image_format"] == "png"
    ob3 = json.loads(store.get(paths.achievement("acme", "teamwork").key).body)
    image_url = f"{PUBLIC_URL}/issuers/acme/achievements/teamwork/image.png"
    assert ob3["id"] == f"{PUBLIC_URL}/issuers/acme/achievements/teamwork/achievement.json"
    assert ob3["criteria"] == {"id": TEAMWORK["criteria_url"], "narrative": TEAMWORK["criteria"]}
    assert ob3["image"] == {"id": image_url, "type": "Image"}
    assert ob3["alignment"] == [
        {
            "type": ["Alignment"],
            "targetName": "Collaboration",
            "targetUrl": "https://framework.example/c",
            "targetCode": "C1",
        }
    ]
    assert ob3["tag"] == ["soft-skills", "teams"]
    assert ob3["achievementType"] == "Badge"
    ob2 = json.loads(store.get(paths.badge_class("acme", "teamwork").key).body)
    assert ob2["issuer"] == f"{PUBLIC_URL}/issuers/acme/ob2/issuer.json"
    assert ob2["image"] == image_url
    assert ob2["tags"] == ["soft-skills", "teams"]
    assert ob2["alignment"][0] == {
        "targetName": "Collaboration",
        "targetUrl": "https://framework.example/c",
        "targetCode": "C1",
    }
    assert store.get(paths.achievement_image("acme", "teamwork", "png").key).content_type == "image/png"
    summary = achievement_summary(acme, record)
    assert summary["id"] == ob3["id"]
    assert summary["urls"]["badge_class"] == ob2["id"]


def test_creation_is_idempotent_and_lookups(issuer: tuple[LocalStore, IssuerRecord]) -> None:
    store, acme = issuer
    first = create_achievement(store, "acme", TEAMWORK, small_png())
    assert create_achievement(store, "acme", TEAMWORK, small_png()) == first
    with pytest.raises(Conflict):
        create_achievement(store, "acme", TEAMWORK, small_png(color=(0, 0, 255)))  # same slug, other image
    create_achievement(store, "acme", {"name": "Template", "description": "d", "criteria": "c"}, TEMPLATE_SVG)
    assert [a["slug"] for a in list_achievements(store, "acme")] == ["teamwork", "template"]
    by_url = get_achievement(store, acme, f"{PUBLIC_URL}/issuers/acme/achievements/teamwork/badgeclass.json")
    assert by_url == first
    for ref in (
        "nothing",
        f"{PUBLIC_URL}/issuers/other/achievements/teamwork/achievement.json",
        "https://x.example/a",
    ):
        with pytest.raises(NotFound):
            get_achievement(store, acme, ref)


@pytest.mark.parametrize(
    ("image", "error"),
    [
        (b"GIF89a....", NotABadgeImage),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, MalformedImage),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>", MalformedImage),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_IMAGE_BYTES, InputTooLarge),
    ],
)
def test_unbakeable_images_are_refused(
    issuer: tuple[LocalStore, IssuerRecord], image: bytes, error: type[Exception]
) -> None:
    store, _ = issuer
    with pytest.raises(error):
        create_achievement(store, "acme", TEAMWORK, image)
    assert list(store.list("private/issuers/acme/achievements/")) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"description": None}, "description"),
        ({"achievement_type": "Trophy"}, "achievement_type"),
        ({"alignments": [{"target_name": "x"}]}, "alignments.0.target_url"),
        ({"tags": ["ok"] * 51}, "tags"),
        ({"criteria_url": "not a url"}, "criteria_url"),
        ({"slug": "UPPER"}, "slug"),
    ],
)
def test_bad_fields_are_named(
    issuer: tuple[LocalStore, IssuerRecord], change: dict[str, Any], field: str
) -> None:
    store, _ = issuer
    with pytest.raises(InvalidField) as caught:
        create_achievement(store, "acme", {**TEAMWORK, **change}, small_png())
    assert caught.value.details["field"] == field


def test_ext_achievement_types_are_accepted(issuer: tuple[LocalStore, IssuerRecord]) -> None:
    store, _ = issuer
    record = create_achievement(
        store, "acme", {**TEAMWORK, "slug": "ext", "achievement_type": "ext:Hackathon"}, small_png()
    )
    assert record["achievement_type"] == "ext:Hackathon"


@pytest.mark.parametrize("achievement_type", ["Badge", "ext:Hackathon"])
def test_a_full_achievement_signs_and_verifies(
    issuer: tuple[LocalStore, IssuerRecord], achievement_type: str
) -> None:
    # every field we publish must be defined by the OB 3.0 context, or signing refuses it
    from badgekiln.issue import issue_credential
    from badgekiln.verification import verify
    from tests.issue_support import public_documents

    store, _ = issuer
    create_achievement(store, "acme", {**TEAMWORK, "achievement_type": achievement_type}, small_png())
    for options in ({}, {"proof": "jwt"}, {"spec": "ob2"}):
        issued = issue_credential(
            store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org", **options}
        )
        report = verify(issued.image, documents=public_documents(store, PUBLIC_URL), offline=True)  # type: ignore[arg-type]
        assert report.valid, [c.message for c in report.failures]
