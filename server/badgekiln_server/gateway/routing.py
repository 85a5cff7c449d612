"""Route selection as API Gateway HTTP APIs do it.

A route matches when its method is the request's (or ``ANY``) and its path matches segment by
segment: a literal segment exactly, ``{name}`` any one non-empty segment, a final ``{name+}`` one or
more. The most specific match wins: literal over variable over greedy, compared from the left,
then an explicit method over ``ANY``; ``$default`` catches what nothing else does. An unknown
method on a known path is simply no match (HTTP APIs have no 405).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from badgekiln_server.gateway.template import RouteSpec

__all__ = ["MAX_PATH_SEGMENTS", "Match", "match_route"]

#: Paths deeper than this never match (bounds the work per request).
MAX_PATH_SEGMENTS = 64

_LITERAL, _VARIABLE, _GREEDY = 3, 2, 1


@dataclass(frozen=True, slots=True)
class Match:
    """The selected route and the path parameters it captured (URL-decoded)."""

    route: RouteSpec
    path_parameters: dict[str, str]


def _match_path(pattern: str, segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    parts = pattern[1:].split("/")
    score: list[int] = []
    params: dict[str, str] = {}
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if index != len(parts) - 1 or not rest or rest == [""]:
                return None
            params[part[1:-2]] = unquote("/".join(rest))
            score.append(_GREEDY)
            return tuple(score), params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not segments[index]:
                return None
            params[part[1:-1]] = unquote(segments[index])
            score.append(_VARIABLE)
        elif part == segments[index]:
            score.append(_LITERAL)
        else:
            return None
    return (tuple(score), params) if len(parts) == len(segments) else None


def match_route(routes: Iterable[RouteSpec], method: str, path: str) -> Match | None:
    """The route API Gateway would pick for ``method path`` (``path`` without query), or None."""
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")  # a trailing slash is an empty last segment: /bake/ is not /bake
    if len(segments) > MAX_PATH_SEGMENTS:
        return None
    best: tuple[tuple[int, ...], int, Match] | None = None
    default: RouteSpec | None = None
    for route in routes:
        if route.path == "$default":
            default = route
            continue
        if route.method not in {method, "ANY"}:
            continue
        found = _match_path(route.path, segments)
        if found is None:
            continue
        score, params = found
        rank = (score, 1 if route.method == method else 0)
        if best is None or rank > best[:2]:
            best = (score, rank[1], Match(route, params))
    if best is not None:
        return best[2]
    return Match(default, {}) if default is not None else None
