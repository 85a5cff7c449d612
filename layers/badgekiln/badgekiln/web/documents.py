"""The public function's answer for a hosted document's URL: the document, or for a browser that
asks a credential's URL for HTML, its verify page.

Light on purpose: the page machinery (:mod:`badgekiln.web.pages`, and the verifier behind it) is
imported only when a page is asked for, not on the way to every profile, key or status list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from badgekiln.errors import NotFound
from badgekiln.hosting.responses import public_response, wants_page
from badgekiln.http.responses import Reply

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    from badgekiln.store.base import Store

__all__ = ["public_answer"]


def public_answer(event: APIGatewayProxyEventV2, *, store: Store, public_url: str) -> Reply:
    """``GET`` of a hosted document's own URL: the document as
    :func:`~badgekiln.hosting.responses.public_response` answers it, or, for a credential that a
    browser asks for as HTML, its verify page (:func:`~badgekiln.web.pages.credential_page`).
    Both vary on ``Accept``; text documents (JSON, JWT, PEM) are returned as text, images as bytes.

    Raises:
        NotFound: nothing is published at the path.
        StoreError: the store failed.
    """
    path, headers = event.path, event.headers or {}
    accept = headers.get("accept")
    if wants_page(path, accept):
        from badgekiln.web.pages import credential_page

        page = credential_page(event, store=store, public_url=public_url, path=path)
        return Reply(page.status, page.body, page.content_type, {**page.headers, "Vary": "Accept"})
    answer = public_response(store, path, accept=accept, if_none_match=headers.get("if-none-match"))
    if answer.status == 404:
        raise NotFound("No document is published at this path.")
    others = {name: value for name, value in answer.headers.items() if name != "Content-Type"}
    content_type = answer.headers["Content-Type"]
    body: str | bytes = answer.body
    if not content_type.startswith("image/"):
        # JSON, JWT and PEM documents are UTF-8 text: sent as text, not base64
        try:
            body = answer.body.decode("utf-8")
        except UnicodeDecodeError:
            body = answer.body
    return Reply(answer.status, body, content_type, others)
