"""RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) to canonical N-Quads.

:func:`canonicalize` expands a document once, strictly (:mod:`badgekiln.jsonld.strict`), and
turns that same expansion into RDF; PyLD's ``normalize`` would expand it again. Canonicalizing
blank nodes is exponential in the worst case ("poison graphs"), so the work is metered and
refused past a budget no credential comes near.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any, Final, Literal

from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer

from badgekiln.errors import InputTooLarge, JsonLdError
from badgekiln.jsonld.loader import PinnedContexts
from badgekiln.jsonld.strict import expand

__all__ = [
    "MAX_BLANK_NODES",
    "MAX_CANON_WORK",
    "MAX_QUADS",
    "HashName",
    "canonicalize",
    "canonicalize_expanded",
]

#: Statements in one dataset; a complete OB 3.0 credential has about a hundred.
MAX_QUADS: Final = 10_000
#: Blank nodes (objects without ``id``); issuing identifiers is quadratic in their number.
MAX_BLANK_NODES: Final = 1_000
#: Units of N-degree hashing work: one per call plus one per permutation it will try, about
#: 30–45 µs each, so the cap holds a hostile document to about a second. The heaviest vector
#: (1EdTech complete.json, with repeated id-less objects) needs 2,916; a poison graph needs
#: factorially many and is refused instead.
MAX_CANON_WORK: Final = 20_000

_RDF_OPTIONS: Final = {"produceGeneralizedRdf": False, "processingMode": "json-ld-1.1"}


#: Hash functions RDFC-1.0 may run with: SHA-256 by default; the ECDSA suites ask for SHA-384
#: with P-384 keys (VC-DI-ECDSA: "a hash algorithm that has an appropriate security level").
HashName = Literal["sha256", "sha384"]


class _MeteredURDNA2015(URDNA2015):  # type: ignore[misc]
    def __init__(self, hash_name: HashName = "sha256") -> None:
        super().__init__()
        self._work = 0
        self._new_hash = hashlib.sha384 if hash_name == "sha384" else hashlib.sha256

    def create_hash(self) -> Any:
        return self._new_hash()

    def _charge(self, units: int) -> None:
        self._work += units
        if self._work > MAX_CANON_WORK:
            raise InputTooLarge(
                "canonicalizing this document's blank nodes needs more work than allowed "
                "(too many indistinguishable objects without an id)",
                reason="canonicalization-budget",
                limit=MAX_CANON_WORK,
            )

    def create_hash_to_related(self, id_: str, issuer: Any) -> Any:
        hash_to_related = super().create_hash_to_related(id_, issuer)
        # hash_n_degree_quads next tries every permutation of each group: charge for them
        # before they run (a group of 9 alone is over the budget).
        self._charge(1)
        for group in hash_to_related.values():
            self._charge(math.factorial(min(len(group), 9)))
        return hash_to_related


def canonicalize_expanded(expanded: list[Any], *, hash_name: HashName = "sha256") -> str:
    """Canonical N-Quads of an expanded document from :func:`badgekiln.jsonld.strict.expand`.

    ``expanded`` is consumed (PyLD annotates it while building the node map). ``hash_name`` is
    the hash RDFC-1.0 labels blank nodes with.

    Raises:
        InputTooLarge: over :data:`MAX_QUADS`, :data:`MAX_BLANK_NODES` or
            :data:`MAX_CANON_WORK`.
        JsonLdError: PyLD could not convert the expansion to RDF.
    """
    processor = jsonld.JsonLdProcessor()
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    try:
        processor._create_node_map(expanded, node_map, "@default", issuer)
        dataset = {
            name: processor._graph_to_rdf(graph, issuer, _RDF_OPTIONS)
            for name, graph in sorted(node_map.items())
            # as PyLD's to_rdf: named graphs with relative names are not part of the dataset
            if name == "@default" or jsonld._is_absolute_iri(name)
        }
    except (jsonld.JsonLdError, TypeError, ValueError, KeyError) as exc:
        raise JsonLdError(f"cannot convert the document to RDF: {exc}", reason="rdf") from exc
    quads = sum(len(triples) for triples in dataset.values())
    if quads > MAX_QUADS:
        raise InputTooLarge(
            f"document has {quads} RDF statements, over the {MAX_QUADS} limit", limit=MAX_QUADS
        )
    if issuer.counter > MAX_BLANK_NODES:
        raise InputTooLarge(
            f"document has {issuer.counter} blank nodes, over the {MAX_BLANK_NODES} limit",
            limit=MAX_BLANK_NODES,
        )
    nquads: str = _MeteredURDNA2015(hash_name).main(dataset, {"format": "application/n-quads"})
    return nquads


def canonicalize(
    document: Mapping[str, Any], *, hash_name: HashName = "sha256", pinned: PinnedContexts | None = None
) -> str:
    """Strictly expand ``document`` and return its RDFC-1.0 canonical N-Quads (UTF-8 text),
    blank nodes labelled with ``hash_name``.

    Raises:
        JsonLdError: unknown context, undefined term, relative IRI … (see
            :mod:`badgekiln.jsonld.strict`).
        InputTooLarge: over a size or work cap.
        MalformedPayload: not a JSON object.
    """
    return canonicalize_expanded(expand(document, pinned=pinned), hash_name=hash_name)
