"""The base of every view, and the one copy of the helpers that read JSON-LD's loose shapes.

Badges are JSON-LD compacted by strangers: a member holding one value may be written as that
value or as a one-element array, a node may be embedded (an object) or named (its id), and any
member may hold anything at all. The helpers here answer the questions every reader asks of
such a value without ever raising; deciding whether the shape is acceptable is the checks' job.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, TypeGuard, TypeVar, overload

__all__ = [
    "Node",
    "as_list",
    "as_written",
    "criteria_of",
    "id_of",
    "image_of",
    "is_object",
    "member",
    "non_empty",
    "ref_of",
    "remembered",
    "single",
    "string",
    "type_names",
]

_N = TypeVar("_N", bound="Node")
_T = TypeVar("_T")


#: The other types parsed JSON holds: none of them is a Mapping, and knowing so by type is cheap.
_JSON_NON_OBJECTS: Final = frozenset({str, list, int, float, bool, type(None)})


def is_object(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """Whether ``value`` is a JSON object (parsed JSON holds exact dicts and the other JSON
    types: both are told by type first, as an ABC check costs more than most readers)."""
    kind = type(value)
    return kind is dict or (kind not in _JSON_NON_OBJECTS and isinstance(value, Mapping))


def as_list(value: Any) -> list[Any]:
    """A member's values: a list as it is, ``None`` (absent, or JSON ``null``) as ``[]``, and any
    other value as ``[value]`` (JSON-LD compacts a one-element array to its element)."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def type_names(value: Any) -> tuple[str, ...]:
    """The string entries of a ``type`` (or ``@context``) member, in order; others are skipped."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple([entry for entry in value if isinstance(entry, str)])
    return ()


def id_of(value: Any) -> str | None:
    """The id a node or reference names: an object's ``id``, or the string itself; ``None``
    unless that is a non-empty string."""
    return non_empty(value.get("id") if is_object(value) else value)


def string(value: Any) -> str | None:
    """``value`` when it is a string, else ``None``."""
    return value if isinstance(value, str) else None


def single(value: Any) -> Any:
    """The element of a one-element array, else ``value`` itself (``credentialSubject: [{…}]``)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def image_of(value: Any) -> str | None:
    """The id of an ``image`` member (a URL or ``data:`` URI, an Image object, or a list of
    them: the first), as written."""
    return id_of(value[0] if isinstance(value, list) and value else value)


def criteria_of(value: Any) -> tuple[str | None, str | None]:
    """(narrative, URL) of a ``criteria`` member: a Criteria object (or the first of a list), or,
    as OB 2.0 allows, the URL alone."""
    if isinstance(value, str):
        return None, value or None
    criteria = value[0] if isinstance(value, list) and value else value
    if not is_object(criteria):
        return None, None
    return string(criteria.get("narrative")), id_of(criteria)


def as_written(value: Any) -> Any:
    """A member exactly as written (anything, or ``None`` when absent), for a check to judge."""
    return value


def non_empty(value: Any) -> str | None:
    """``value`` when it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


class member(property, Generic[_T]):  # used like property
    """A view accessor: one member of the object, read by ``read`` (as written by default).

    ``name = member("name", string)`` reads ``raw.get("name")`` through :func:`string` on each
    access; ``default`` stands in for an absent member. A property underneath (the interpreter
    calls it directly); :class:`remembered` keeps what costs more to build.
    """

    @overload
    def __init__(self: member[Any], key: str, *, doc: str = "", default: Any = None) -> None: ...

    @overload
    def __init__(self, key: str, read: Callable[[Any], _T], doc: str = "", default: Any = None) -> None: ...

    def __init__(
        self, key: str, read: Callable[[Any], Any] = as_written, doc: str = "", default: Any = None
    ) -> None:
        if read is as_written:

            def get(view: Node) -> Any:
                return view.raw.get(key, default)

        else:

            def get(view: Node) -> Any:
                return read(view.raw.get(key, default))

        super().__init__(get, doc=doc or f"``{key}``, read by {read.__name__}.")

    if TYPE_CHECKING:

        @overload
        def __get__(self, view: None, owner: builtins.type | None = None) -> member[_T]: ...

        @overload
        def __get__(self, view: Node, owner: builtins.type | None = None) -> _T: ...

        def __get__(self, view: Node | None, owner: builtins.type | None = None) -> member[_T] | _T: ...


class remembered(Generic[_T]):  # used like functools.cached_property (without its lock)
    """A view accessor whose value (a view, a list) is built once per view: the first read keeps
    it in the view's ``__dict__``, where later reads find it directly (the raw document never
    changes; views are frozen to their users, not to themselves)."""

    def __init__(self, key: str, read: Callable[[Any], _T], doc: str = "") -> None:
        self.key = key
        self.read = read
        self.name = key
        self.__doc__ = doc or f"``{key}``, read by {read.__name__}."

    def __set_name__(self, owner: builtins.type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, view: None, owner: builtins.type) -> remembered[_T]: ...

    @overload
    def __get__(self, view: Node, owner: builtins.type) -> _T: ...

    def __get__(self, view: Node | None, owner: builtins.type) -> remembered[_T] | _T:
        if view is None:
            return self
        value = view.__dict__[self.name] = self.read(view.raw.get(self.key))
        return value


@dataclass(frozen=True, eq=False)
class Node:
    """A read-only view of one JSON object of a badge.

    ``raw`` is the object exactly as parsed, never copied or changed: proofs sign and verify it.
    Accessors read it tolerantly (a member of the wrong shape reads as absent) and never raise.
    """

    raw: Mapping[str, Any]

    declared_id = member("id", doc="``id`` exactly as written, for comparisons and messages.")
    type = member("type", doc="``type`` exactly as written (for messages).")
    types = remembered("type", type_names, "The string entries of ``type``.")
    context = member("@context", doc="``@context`` exactly as written (for messages).")
    contexts = member("@context", as_list, "The ``@context`` entries (strings, or inline objects).")
    name = member("name", string)
    description = member("description", string)
    url = member("url", string, "``url``, when it is a string (a homepage; pages check it).")
    image = member("image", image_of, "The image's id (a URL or ``data:`` URI), as written.")

    @classmethod
    def of(cls: builtins.type[_N], value: Any) -> _N | None:
        """A view of ``value`` when it is a JSON object, else ``None``."""
        return cls(value) if is_object(value) else None

    @property
    def id(self) -> str | None:
        """``id``, when it is a non-empty string."""
        value = self.raw.get("id")  # non_empty, inline: every check and summary asks for ids
        return value if isinstance(value, str) and value else None

    def has(self, key: str) -> bool:
        """Whether the object has the member ``key`` at all (whatever it holds)."""
        return key in self.raw


def ref_of(value: Any, view: builtins.type[_N]) -> _N | str | None:
    """A reference to a node: a view of the embedded object, or the id (a non-empty string) it
    is named by; ``None`` for anything else."""
    return view.of(value) or non_empty(value)
