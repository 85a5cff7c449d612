"""``badgekiln achievement create|list``: an issuer's achievements (OB 2.0 BadgeClasses)."""

from __future__ import annotations

import argparse
from typing import Any

from badgekiln.cli._io import add_actions, add_store_option, emit_json, open_cli_store

__all__ = ["register"]


def register(subparsers: Any) -> None:
    commands = add_actions(
        subparsers,
        "achievement",
        help="create or list achievements",
        description="Manage achievements, published as OB 3.0 Achievements and OB 2.0 BadgeClasses.",
    )

    create = commands.add_parser(
        "create",
        help="create an achievement (prints it as JSON)",
        description="Create an achievement with its image (PNG or SVG; an SVG may be a template).",
    )
    create.add_argument("--issuer", required=True, help="the issuer's slug or id")
    create.add_argument("--name", required=True, help="the achievement's name")
    create.add_argument("--description", required=True, help="what the achievement recognises")
    create.add_argument("--criteria", required=True, help="how it is earned (text)")
    create.add_argument("--criteria-url", help="a page describing the criteria")
    create.add_argument("--image", required=True, metavar="FILE", help="the badge image, PNG or SVG")
    create.add_argument(
        "--id", dest="slug", metavar="SLUG", help="short name in URLs (default: from the name)"
    )
    create.add_argument(
        "--type", dest="achievement_type", help="OB 3.0 achievementType (Badge, Certificate, …)"
    )
    create.add_argument("--tag", dest="tags", action="append", default=[], help="a tag (repeatable)")
    create.add_argument(
        "--alignment",
        dest="alignments",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="an alignment to a framework item (repeatable)",
    )
    add_store_option(create)
    create.set_defaults(handler=_create)

    listing = commands.add_parser("list", help="list an issuer's achievements (JSON)")
    listing.add_argument("--issuer", required=True, help="the issuer's slug or id")
    add_store_option(listing)
    listing.set_defaults(handler=_list)


def _create(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.errors import InvalidField
    from badgekiln.files import read_input
    from badgekiln.issue import achievement_summary, create_achievement, get_issuer
    from badgekiln.issue.achievements import MAX_IMAGE_BYTES

    data: dict[str, Any] = {"name": args.name, "description": args.description, "criteria": args.criteria}
    for name in ("criteria_url", "slug", "achievement_type"):
        if getattr(args, name) is not None:
            data[name] = getattr(args, name)
    if args.tags:
        data["tags"] = args.tags
    alignments = []
    for pair in args.alignments:
        name, sep, url = pair.partition("=")  # a URL's query may hold "=", a name hardly
        if not sep or not name:
            raise InvalidField(f"--alignment {pair!r}: expected NAME=URL", field="alignments")
        alignments.append({"target_name": name, "target_url": url})
    if alignments:
        data["alignments"] = alignments
    image = read_input(args.image, limit=MAX_IMAGE_BYTES)
    store = open_cli_store(args)
    record = create_achievement(store, args.issuer, data, image)
    emit_json(achievement_summary(get_issuer(store, args.issuer), record))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from badgekiln.cli import EXIT_OK
    from badgekiln.issue import achievement_summaries

    emit_json(list(achievement_summaries(open_cli_store(args), args.issuer)))
    return EXIT_OK
