"""Badge narratives (descriptions, criteria) as Markdown, rendered to HTML that is safe to show.

OB 3.0 says ``criteria.narrative`` and ``description`` may be Markdown; badges are written by
strangers. markdown-it-py (CommonMark) renders with raw HTML *escaped* (``html=False``) and no
images, then nh3 (the Ammonia sanitiser) keeps only a small set of text tags, links only to
http(s) and mailto with ``rel="nofollow noopener noreferrer"`` — so neither a Markdown trick nor
a parser bug can put a script, a style, an event handler or an image on a page. Both libraries
load on the first narrative rendered.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markupsafe import Markup

__all__ = ["ALLOWED_TAGS", "markdown_html"]

#: What a narrative may use: paragraphs, emphasis, code, lists, quotes, headings, rules, links.
ALLOWED_TAGS: Final = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
        "hr",
        "h3",
        "h4",
        "h5",
        "h6",
    }
)
_URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # commonmark without raw HTML; images and headings 1–2 are turned off (a badge's narrative
    # does not get to load pictures or outrank the page's own headings)
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.disable(["image", "html_block", "html_inline"])
    return parser


def markdown_html(text: str) -> Markup:
    """``text`` (Markdown) as sanitised HTML, ready to insert into a template unescaped.

    Headings become at most ``<h3>`` (the page owns ``<h1>``/``<h2>``); anything outside
    :data:`ALLOWED_TAGS` is dropped with its markup, its text kept and escaped.
    """
    import nh3
    from markupsafe import Markup

    html = _parser().render(text)
    for level in (1, 2):  # shift the narrative's top headings below the page's own
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        url_schemes=set(_URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704  # sanitised by nh3 just above
