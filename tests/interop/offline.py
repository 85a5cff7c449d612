"""The offline answers both Python wrappers give (``--doc``, ``--doc-prefix``): a URL is answered
from a local file or not at all. Each wrapper runs in its oracle's own virtualenv, with this folder
on ``sys.path``; nothing here imports badgekiln or the oracles."""

from __future__ import annotations

import os
import sys
import urllib.parse
from typing import NoReturn


def die(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def split_pair(text: str, what: str) -> tuple[str, str]:
    """``KEY=PATH`` split at the last '=' whose right side exists (URLs may contain '=')."""
    k = text.rfind("=")
    while k > 0:
        left, right = text[:k], text[k + 1 :]
        if os.path.exists(right):
            return left, right
        k = text.rfind("=", 0, k)
    die(f"{what} expects KEY=PATH with an existing PATH, got {text!r}")


class LocalDocuments:
    """URL -> local file: exact URLs (fragment ignored), then folders behind URL prefixes."""

    def __init__(self, docs: dict[str, str], prefixes: list[tuple[str, str]]) -> None:
        self.docs = {url.split("#", 1)[0]: os.path.realpath(path) for url, path in docs.items()}
        self.prefixes = [(prefix, os.path.realpath(folder)) for prefix, folder in prefixes]

    def find(self, url: str) -> tuple[str, str] | None:
        """``(path, how)`` of the file that answers ``url``, or None. A prefix never reaches
        outside its folder."""
        key = url.split("#", 1)[0]
        if key in self.docs:
            return self.docs[key], "doc"
        for prefix, folder in self.prefixes:
            if key.startswith(prefix):
                rest = urllib.parse.unquote(key[len(prefix) :].split("?", 1)[0])
                path = os.path.realpath(os.path.join(folder, rest))
                if (path == folder or path.startswith(folder + os.sep)) and os.path.isfile(path):
                    return path, f"doc-prefix {prefix}"
        return None
