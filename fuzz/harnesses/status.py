"""Status lists and revocation lists: the checkers of ``badgekiln.status`` and bitstring decoding.

``lists`` — the input is a bundle (:mod:`fuzz.harnesses.bundle`): the main part is a JSON
document, an OB 3.0 credential (its ``credentialStatus`` entries go through
``check_credential_status``: BitstringStatusList, StatusList2021, 1EdTech revocation list) or an
OB 2.0 assertion with its issuer's ``revocationList`` (``check_ob2_revocation_list``); sections
named by URL are the lists ``fetch_json`` answers (any other URL fails as a fetch would). The
injected ``verify_credential`` accepts a list credential that carries a ``proof`` and refuses one
without, as the verifier would; proofs themselves are the verification harness's business.

``bitstring`` — ``StatusBitstring.decode``: the first byte picks ``statusSize`` (1–8); when the
second byte is even the rest is a raw GZIP stream that the harness base64url-encodes (so
mutations hit the inflater), otherwise the rest is the ``encodedList`` text itself. A decoded list
must encode and decode to itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from badgekiln.errors import FetchFailed, InvalidSignature
from badgekiln.status import (
    CompactToken,
    StatusBitstring,
    StatusPolicy,
    check_credential_status,
    check_ob2_revocation_list,
)
from badgekiln.strictjson import loads_strict
from fuzz.harnesses import bundle
from fuzz.harnesses.seeds import VECTORS, json_files, wild_entries
from fuzz.oracle import OracleViolation

__all__ = ["make_target", "seeds"]

AT: Final = datetime(2026, 12, 8, tzinfo=UTC)
_POLICIES: Final = (StatusPolicy(), StatusPolicy(require_same_issuer=False, short_list="fail"))


def _fetcher(sections: list[tuple[str, bytes]]) -> Callable[[str], Any]:
    answers = dict(reversed(sections))  # the first section of a name wins

    def fetch_json(url: str) -> Any:
        body = answers.get(url)
        if body is None:
            raise FetchFailed(f"{url} is not in this case", url=url, reason="status")
        return loads_strict(body, source=url)

    return fetch_json


def _verify_list(document: Mapping[str, Any] | CompactToken) -> Mapping[str, Any] | None:
    if isinstance(document, CompactToken) or "proof" not in document:
        raise InvalidSignature("the status list credential has no proof", reason="no-proof")
    return None


def _check_lists(data: bytes) -> None:
    main, sections = bundle.split(data)
    document = loads_strict(main, source="the case")
    if not isinstance(document, dict):
        return
    fetch_json = _fetcher(sections)
    policy = _POLICIES[len(sections) % len(_POLICIES)]
    if "revocationList" in document:
        assertion_id = document.get("id")
        issuer = document.get("issuer")
        uid = document.get("uid")
        check_ob2_revocation_list(
            document["revocationList"],
            assertion_id=assertion_id if isinstance(assertion_id, str) else "urn:uuid:fuzz",
            assertion_uid=uid if isinstance(uid, str) else None,
            issuer=issuer if isinstance(issuer, str) else None,
            fetch_json=fetch_json,
            policy=policy,
        )
        return
    for result in check_credential_status(
        document, fetch_json=fetch_json, verify_credential=_verify_list, policy=policy, at=AT
    ):
        json.dumps([result.method, result.purpose, result.value, result.message, result.warnings])


def _check_bitstring(data: bytes) -> None:
    if len(data) < 2:
        return
    size = data[0] % 8 + 1
    rest = data[2:]
    if data[1] % 2 == 0:
        encoded = "u" + base64.urlsafe_b64encode(rest).decode("ascii").rstrip("=")
    else:
        encoded = rest.decode("latin-1")
    bits = StatusBitstring.decode(encoded, status_size=size)
    if len(bits):
        bits.get(0)
        bits.get(len(bits) - 1)
    again = StatusBitstring.decode(bits.encode(), status_size=size)
    if again != bits:
        raise OracleViolation("a decoded status list does not survive encode/decode")


def make_target(variant: str) -> Callable[[bytes], None]:
    return _check_bitstring if variant == "bitstring" else _check_lists


def _documents() -> dict[str, bytes]:
    from tests.verify_support import hosted_documents

    answers = hosted_documents(VECTORS)
    for _, documents in wild_entries():
        for url, body in documents.items():
            answers.setdefault(url, body)
    return answers


def _status_urls(document: Any) -> Iterator[str]:
    raw = document.get("credentialStatus")
    for entry in raw if isinstance(raw, list) else [raw]:
        if isinstance(entry, dict):
            for name in ("statusListCredential", "id"):
                if isinstance(entry.get(name), str):
                    yield entry[name].split("#", 1)[0]
                    yield entry[name]


def _made() -> Iterator[tuple[str, bytes]]:
    from badgekiln.status import (
        add_revoked_assertion,
        build_ob2_revocation_list,
        build_status_entry,
        build_status_list_credential,
    )

    issuer = "https://issuer.example/"
    url = "https://issuer.example/status/1"
    bits = StatusBitstring(131_072, status_size=2)
    bits.set(7, 3)
    messages = {0: "valid", 1: "pending", 2: "suspended", 3: "revoked"}
    entry = build_status_entry(list_url=url, index=7, purpose="message", status_size=2, messages=messages)
    listed = build_status_list_credential(list_url=url, issuer=issuer, purpose="message", bitstring=bits)
    listed["proof"] = {"type": "DataIntegrityProof"}
    credential: dict[str, Any] = {"id": "urn:uuid:1", "issuer": issuer, "credentialStatus": [entry]}
    yield (
        "made/multibit.json",
        bundle.join(json.dumps(credential).encode(), [(url, json.dumps(listed).encode())]),
    )
    revocation = {"id": url, "issuer": issuer, "revokedCredentials": [{"id": "urn:uuid:1", "revoked": True}]}
    status: dict[str, Any] = {"id": url, "type": "1EdTechRevocationList"}
    credential = {"id": "urn:uuid:1", "issuer": issuer, "credentialStatus": status}
    yield (
        "made/1edtech.json",
        bundle.join(json.dumps(credential).encode(), [(url, json.dumps(revocation).encode())]),
    )
    ob2 = add_revoked_assertion(
        build_ob2_revocation_list(list_url=url, issuer_id=issuer), "urn:uuid:2", reason="lost"
    )
    assertion = {"id": "urn:uuid:2", "issuer": issuer, "revocationList": url}
    yield "made/ob2.json", bundle.join(json.dumps(assertion).encode(), [(url, json.dumps(ob2).encode())])
    yield "made/ob2-embedded.json", json.dumps({**assertion, "revocationList": ob2}).encode()


def _list_seeds() -> Iterator[tuple[str, bytes]]:
    documents = _documents()
    sources = [(name, value) for name, value in json_files() if isinstance(value, dict)]
    sources += [
        (url, value)
        for url, body in documents.items()
        for value in [_json_or_none(body)]
        if isinstance(value, dict)
    ]
    seen: set[bytes] = set()
    for name, value in sources:
        if "credentialStatus" not in value:
            continue
        sections = [(u, documents[u]) for u in dict.fromkeys(_status_urls(value)) if u in documents]
        case = bundle.join(json.dumps(value).encode(), sections)
        if case not in seen:
            seen.add(case)
            yield name, case
    yield from _made()


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _bitstring_seeds() -> Iterator[tuple[str, bytes]]:
    for name, value in _list_seeds():
        _, sections = bundle.split(value)
        for _, body in sections:
            document = _json_or_none(body)
            subject = document.get("credentialSubject") if isinstance(document, dict) else None
            encoded = subject.get("encodedList") if isinstance(subject, dict) else None
            if isinstance(encoded, str):
                yield name, b"\x00\x01" + encoded.encode("latin-1", "replace")
                text = encoded.removeprefix("u").replace("+", "-").replace("/", "_")
                try:
                    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
                except ValueError:  # a tampered list of the vectors
                    continue
                yield name, b"\x00\x00" + raw
    small = StatusBitstring(64, status_size=2)
    small.set(3, 2)
    yield "made/small.txt", b"\x01\x01" + small.encode().encode()


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    return _bitstring_seeds() if variant == "bitstring" else _list_seeds()
