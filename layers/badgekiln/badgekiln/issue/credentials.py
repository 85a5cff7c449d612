"""Issue one credential: OB 3.0 (Data Integrity or VC-JWT) or OB 2.0 (hosted or signed).

::

    issued = issue_credential(store, "acme", "teamwork", "ada@example.org")
    issued.credential      # the signed OpenBadgeCredential (dict), also at issued.public_url
    issued.image           # the achievement image with the credential baked in

**Order of writes** (so no half-issued credential ever verifies, and a retry finishes the job):

1. the idempotency record is created (the job is claimed) and the plan saved in it: credential
   name, status list index (allocated under compare-and-swap; the list is published before the
   index is handed out), recipient salt and timestamps;
2. the private credential record (what revocation needs): from here on it can be revoked;
3. the baked image;
4. the public credential (OB 3.0 JSON / JWT, OB 2.0 assertion): a hosted assertion verifies
   only from now on, and everything it names already exists;
5. the idempotency record is marked done.

Signing is deterministic given the plan (Ed25519, RSA PKCS#1 v1.5), so a retry after a crash at
any point rewrites byte-identical objects and returns the same credential.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from badgekiln.errors import InvalidField, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import ImageFormat, Layout
from badgekiln.issue import documents, idempotency
from badgekiln.issue.achievements import achievement_image, get_achievement
from badgekiln.issue.issuers import get_issuer
from badgekiln.issue.models import (
    MAX_ITEMS,
    EvidenceInput,
    RecipientInput,
    ResultInput,
    aware,
    check_text,
    parse,
)
from badgekiln.issue.publish import document_bytes, publish_bytes
from badgekiln.issue.records import (
    CredentialRecord,
    IssuerRecord,
    KeyFamily,
    create_record,
    credential_record_path,
    dump,
    load,
    parse_stamp,
    stamp,
)
from badgekiln.issue.signing import load_signer
from badgekiln.issue.statuslists import allocate_index, purposes
from badgekiln.store.base import Store

__all__ = ["Issued", "issue_credential", "request_hash"]

Spec = Literal["ob2", "ob3"]
Proof = Literal["di", "jwt"]
#: OB 3.0 identityType for each recipient type (OB 3.0 has no url/telephone types).
_IDENTITY_TYPES: Final = {"email": "emailAddress", "url": "identifier", "telephone": "ext:telephone"}


@dataclass(frozen=True)
class Issued:
    """An issued credential.

    ``credential`` is the OB 3.0 credential or OB 2.0 assertion as a dict, or the compact JWT /
    JWS string; ``public_url`` is where it is published (for a hosted assertion: its id);
    ``image`` the baked image (``None`` with ``image="none"``). ``replayed`` is true when an
    earlier request with the same idempotency key produced it.
    """

    id: str
    name: str
    issuer: str
    achievement: str
    spec: Spec
    format: str
    credential: dict[str, Any] | str
    public_url: str
    image_url: str | None
    image: bytes | None
    image_format: ImageFormat | None
    issued: str
    replayed: bool = False

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (everything but the image bytes)."""
        return {
            "id": self.id,
            "name": self.name,
            "issuer": self.issuer,
            "achievement": self.achievement,
            "spec": self.spec,
            "format": self.format,
            "credential": self.credential,
            "public_url": self.public_url,
            "image_url": self.image_url,
            "issued": self.issued,
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class _Request:
    issuer: IssuerRecord
    achievement: dict[str, Any]
    recipient: RecipientInput
    spec: Spec
    format: str
    algorithm: Literal["RS256", "EdDSA"]
    evidence: tuple[EvidenceInput, ...]
    narrative: str | None
    results: tuple[ResultInput, ...]
    valid_until: datetime | None
    image: Literal["png", "svg", "none"] | None
    personalise: bool
    credential_id: str | None


def _recipient(value: str | RecipientInput | Mapping[str, Any]) -> RecipientInput:
    if isinstance(value, str):
        return parse(RecipientInput, {"identity": value}, field="recipient")
    return parse(RecipientInput, value, field="recipient")


def _credential_name(value: str | None) -> str | None:
    if value is None:
        return None
    name = value.lower() if isinstance(value, str) else value
    return paths.check_slug(name, field="credential_id")


def _check_request(
    store: Store,
    issuer_ref: str,
    achievement_ref: str,
    recipient: Any,
    *,
    spec: Any,
    proof: Any,
    algorithm: Any,
    signed: Any,
    evidence: Any,
    narrative: Any,
    results: Any,
    valid_until: Any,
    image: Any,
    personalise: bool,
    credential_id: Any,
) -> _Request:
    if spec not in ("ob2", "ob3"):
        raise InvalidField("spec must be 'ob3' or 'ob2'", field="spec")
    if spec == "ob3":
        if signed:
            raise InvalidField(
                "--signed applies to OB 2.0; OB 3.0 credentials are always signed", field="signed"
            )
        proof = proof or "di"
        if proof not in ("di", "jwt"):
            raise InvalidField("proof must be 'di' (Data Integrity) or 'jwt' (VC-JWT)", field="proof")
        fmt = proof
    else:
        if proof is not None:
            raise InvalidField("proof applies to OB 3.0; OB 2.0 is hosted or --signed", field="proof")
        if results:
            raise InvalidField("results are an OB 3.0 feature", field="results")
        fmt = "signed" if signed else "hosted"
    if algorithm not in ("RS256", "EdDSA"):
        raise InvalidField("algorithm must be RS256 or EdDSA", field="algorithm")
    if image not in (None, "png", "svg", "none"):
        raise InvalidField("image must be png, svg or none", field="image")
    if narrative is not None:
        check_text(narrative, field="narrative")
    evidence_items = tuple(
        parse(EvidenceInput, e, field=f"evidence.{i}") for i, e in enumerate(_items(evidence, "evidence"))
    )
    result_items = tuple(
        parse(ResultInput, r, field=f"results.{i}") for i, r in enumerate(_items(results, "results"))
    )
    who = _recipient(recipient)
    issuer = get_issuer(store, issuer_ref)
    if spec == "ob3" and fmt == "jwt" and algorithm == "RS256" and issuer.active_key("rsa").method_id is None:
        raise InvalidField(
            "a did:key issuer has no RS256 key for VC-JWT (a did:key names one Ed25519 key); use --alg EdDSA",
            field="algorithm",
        )
    if spec == "ob2" and who.type == "id":
        raise InvalidField("OB 2.0 recipients are an email, url or telephone", field="recipient.type")
    return _Request(
        issuer=issuer,
        achievement=get_achievement(store, issuer, achievement_ref),
        recipient=who,
        spec=spec,
        format=fmt,
        algorithm=algorithm,
        evidence=evidence_items,
        narrative=narrative,
        results=result_items,
        valid_until=aware(valid_until, field="valid_until") if valid_until is not None else None,
        image=image,
        personalise=personalise,
        credential_id=_credential_name(credential_id),
    )


def _items(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        value = [value]
    if not isinstance(value, Sequence) or len(value) > MAX_ITEMS:
        raise InvalidField(f"{field} must be a list of at most {MAX_ITEMS} items", field=field)
    return [{"id": v} if isinstance(v, str) and field == "evidence" else v for v in value]


def request_hash(request: _Request) -> str:
    """SHA-256 of everything that decides the credential (the idempotency fingerprint)."""
    body = {
        "issuer": request.issuer.id,
        "achievement": request.achievement["slug"],
        "recipient": request.recipient.model_dump(mode="json"),
        "spec": request.spec,
        "format": request.format,
        "algorithm": request.algorithm if request.format == "jwt" else None,
        "evidence": [e.model_dump(mode="json", exclude_none=True) for e in request.evidence],
        "narrative": request.narrative,
        "results": [r.model_dump(mode="json", exclude_none=True) for r in request.results],
        "valid_until": stamp(request.valid_until) if request.valid_until else None,
        "image": request.image,
        "personalise": request.personalise,
        "credential_id": request.credential_id,
    }
    return hashlib.sha256(dump(body)).hexdigest()


def issue_credential(
    store: Store,
    issuer_id: str,
    achievement_id: str,
    recipient: str | RecipientInput | Mapping[str, Any],
    *,
    spec: Spec = "ob3",
    proof: Proof | None = None,
    algorithm: Literal["RS256", "EdDSA"] = "RS256",
    signed: bool = False,
    idempotency_key: str | None = None,
    credential_id: str | None = None,
    evidence: Sequence[Any] | None = None,
    narrative: str | None = None,
    results: Sequence[Any] | None = None,
    valid_until: datetime | None = None,
    image: Literal["png", "svg", "none"] | None = None,
    personalise: bool = False,
    now: datetime | None = None,
) -> Issued:
    """Issue ``achievement_id`` of ``issuer_id`` (slugs or ids) to ``recipient``; see the module doc.

    ``recipient`` is an e-mail address or a :class:`~badgekiln.issue.models.RecipientInput`
    (mapping). OB 3.0 (``spec="ob3"``) is signed with ``eddsa-rdfc-2022`` Data Integrity
    (``proof="di"``, the default) or as a VC-JWT (``proof="jwt"``, ``algorithm`` RS256 or
    EdDSA); OB 2.0 is hosted, or an RS256 JWS with ``signed=True``. ``image`` picks the baked
    image: the achievement's own format by default, ``png`` (an SVG achievement is rendered),
    ``svg``, or ``none``; ``personalise`` fills an SVG achievement image's placeholders first.
    The same ``idempotency_key`` (or ``credential_id``) always yields the one credential.

    Raises:
        InvalidField: a bad argument (``field`` names it); ``valid_until`` not after ``now``.
        NotFound: no such issuer or achievement.
        Conflict: the idempotency key (or credential id) was used for a different request, or
            its first request is still running.
        RenderError, MalformedImage, InputTooLarge: the image could not be rendered or baked.
        SigningError: the signer (local key or KMS) failed.
        StoreError: the store failed.
    """
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    request = _check_request(
        store,
        issuer_id,
        achievement_id,
        recipient,
        spec=spec,
        proof=proof,
        algorithm=algorithm,
        signed=signed,
        evidence=evidence,
        narrative=narrative,
        results=results,
        valid_until=valid_until,
        image=image,
        personalise=personalise,
        credential_id=credential_id,
    )
    if request.valid_until is not None and request.valid_until <= when:
        raise InvalidField("valid_until must be in the future", field="valid_until")
    fingerprint = request_hash(request)
    key = idempotency_key
    if key is None and request.credential_id is not None:
        key = f"credential-id:{request.credential_id}"
    if key is None:
        return _run(store, request, _plan(store, request, when), fingerprint)
    owned = idempotency.claim(store, request.issuer.slug, key, fingerprint)
    if owned.result is not None:
        return _replay(store, request, owned.result)
    if owned.plan is not None:
        plan = dict(owned.plan)  # a crashed earlier attempt: finish its very credential
    else:
        plan = _plan(store, request, when)
        owned = idempotency.save_plan(store, owned, plan, now=when)
    issued = _run(store, request, plan, fingerprint)
    idempotency.finish(store, owned, {"name": issued.name, "format": issued.format})
    return issued


def _plan(store: Store, request: _Request, when: datetime) -> dict[str, Any]:
    from badgekiln.verification.recipient import hash_identity

    plan: dict[str, Any] = {
        "name": request.credential_id or str(uuid.uuid4()),
        "issued": stamp(when),
        "salt": hash_identity(request.recipient.identity)[1] if request.recipient.hashed else None,
    }
    if request.spec == "ob3":
        where = Layout.parse(request.issuer.public_url)
        plan["status_list"], plan["status_index"] = allocate_index(store, where, request.issuer, now=when)
    return plan


def _hosted(request: _Request, name: str) -> paths.Hosted:
    slug = request.issuer.slug
    if request.spec == "ob3":
        return paths.credential(slug, name, jwt=request.format == "jwt")
    if request.format == "signed":
        return paths.signed_assertion(slug, name)
    return paths.assertion(slug, name)


def _image_format(request: _Request) -> ImageFormat | None:
    if request.image == "none":
        return None
    own: ImageFormat = request.achievement["image_format"]
    wanted = request.image or own
    if wanted == "svg" and own == "png":
        raise InvalidField(
            "an SVG cannot be made from a PNG achievement image; use --image png", field="image"
        )
    if request.personalise and own != "svg":
        raise InvalidField("personalised images need an SVG achievement image", field="personalise")
    return wanted


def _run(store: Store, request: _Request, plan: Mapping[str, Any], fingerprint: str) -> Issued:
    from badgekiln.baking import bake

    issuer = request.issuer
    where = Layout.parse(issuer.public_url)
    name = plan["name"]
    hosted = _hosted(request, name)
    public_url = where.url(hosted)
    fmt = _image_format(request)
    image_hosted = paths.baked_image(issuer.slug, name, fmt, spec=request.spec) if fmt else None
    image_url = where.url(image_hosted) if image_hosted else None
    if request.spec == "ob3":
        credential: dict[str, Any] | str = _ob3(store, request, plan, public_url, where)
        credential_id = public_url
    else:
        credential = _ob2(store, request, plan, public_url=public_url, image_url=image_url, where=where)
        credential_id = public_url if request.format == "hosted" else f"urn:uuid:{_uuid_of(name)}"
    payload = credential if isinstance(credential, str) else document_bytes(credential).decode("utf-8")
    baked = None
    if fmt is not None and image_hosted is not None:
        baked = bake(_base_image(store, request, plan, public_url, fmt), payload, spec=request.spec)
    record = CredentialRecord(
        name=name,
        issuer=issuer.slug,
        spec=request.spec,
        format=request.format,
        id=credential_id,
        achievement=request.achievement["slug"],
        issued=plan["issued"],
        status_list=plan.get("status_list"),
        status_index=plan.get("status_index"),
        purposes=purposes(issuer) if request.spec == "ob3" else (),
    )
    _save_record(store, record, fingerprint)
    if baked is not None and image_hosted is not None:
        publish_bytes(store, image_hosted, baked)
    publish_bytes(store, hosted, payload.encode("utf-8"))
    return Issued(
        id=credential_id,
        name=name,
        issuer=issuer.id,
        achievement=request.achievement["slug"],
        spec=request.spec,
        format=request.format,
        credential=credential,
        public_url=public_url,
        image_url=image_url,
        image=baked,
        image_format=fmt,
        issued=plan["issued"],
    )


def _save_record(store: Store, record: CredentialRecord, fingerprint: str) -> None:
    create_record(
        store,
        credential_record_path(record.issuer, record.name),
        {**record.to_dict(), "request": fingerprint},
        taken=f"credential id {record.name!r} is already used by another credential",
        field="credential_id",
    )


def _uuid_of(name: str) -> str:
    try:
        return str(uuid.UUID(name))
    except ValueError:
        # a caller-given name that is not a UUID: derive a stable one
        return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _identity(request: _Request, plan: Mapping[str, Any]) -> tuple[str, str | None]:
    from badgekiln.verification.recipient import hash_identity

    if not request.recipient.hashed:
        return request.recipient.identity, None
    identity_hash, salt = hash_identity(request.recipient.identity, salt=plan["salt"])
    return identity_hash, salt


def _ob3(
    store: Store, request: _Request, plan: Mapping[str, Any], public_url: str, where: Layout
) -> dict[str, Any] | str:
    from badgekiln.jsonld.strict import expand
    from badgekiln.status import build_status_entry

    issuer = request.issuer
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    recipient = request.recipient
    if recipient.type == "id":
        subject["id"] = recipient.identity
    else:
        identity, salt = _identity(request, plan)
        identifier: dict[str, Any] = {
            "type": "IdentityObject",
            "identityHash": identity,
            "identityType": _IDENTITY_TYPES[recipient.type],
            "hashed": recipient.hashed,
        }
        if salt is not None:
            identifier["salt"] = salt
        subject["identifier"] = [identifier]
    image_format: ImageFormat = request.achievement["image_format"]
    subject["achievement"] = documents.achievement_document(
        where, issuer, request.achievement, image_format, embedded=True
    )
    if request.narrative:
        subject["narrative"] = request.narrative
    if request.results:
        subject["result"] = [_result(r) for r in request.results]
    credential: dict[str, Any] = {
        "@context": list(documents.OB3_CONTEXTS),
        "id": public_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": documents.embedded_profile(issuer),
        "validFrom": plan["issued"],
    }
    if request.valid_until is not None:
        credential["validUntil"] = stamp(request.valid_until)
    credential["name"] = request.achievement["name"]
    credential["credentialSubject"] = subject
    if request.evidence:
        credential["evidence"] = [_evidence(e, ob3=True) for e in request.evidence]
    entries = [
        build_status_entry(
            list_url=where.url(paths.status_list(issuer.slug, plan["status_list"], purpose)),
            index=plan["status_index"],
            purpose=purpose,
        )
        for purpose in purposes(issuer)
    ]
    credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    created = parse_stamp(plan["issued"])
    if request.format == "di":
        from badgekiln.proofs.dataintegrity import create_proof

        signer = load_signer(store, issuer.active_key("ed25519"))
        secured = create_proof(credential, signer, verification_method=signer.key_id, created=created)
        # OB 3.0's JSON serialization writes every 0..* property as an array, proof included
        # (its JSON Schema says so); the array is not part of what the proof signs
        secured["proof"] = [secured["proof"]]
        return secured
    expand(credential)  # what a JWT carries must mean what it says, as for Data Integrity
    return _vc_jwt(store, request, credential, created)


def _vc_jwt(store: Store, request: _Request, credential: dict[str, Any], created: datetime) -> str:
    from badgekiln.proofs.jws import sign_compact

    family: KeyFamily = "rsa" if request.algorithm == "RS256" else "ed25519"
    signer = load_signer(store, request.issuer.active_key(family))
    claims: dict[str, Any] = {
        **credential,
        "iss": request.issuer.id,
        "jti": credential["id"],
        "nbf": int(created.timestamp()),
    }
    if request.valid_until is not None:
        claims["exp"] = int(request.valid_until.timestamp())
    subject_id = credential["credentialSubject"].get("id")
    if subject_id is not None:
        claims["sub"] = subject_id
    header = {"alg": signer.algorithm, "kid": signer.key_id, "typ": "JWT"}
    return sign_compact(header, document_bytes(claims), signer)


def _evidence(item: EvidenceInput, *, ob3: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.id:
        out["id"] = item.id
    if ob3:
        out["type"] = ["Evidence"]
    for member in ("name", "narrative", "description"):
        value = getattr(item, member)
        if value:
            out[member] = value
    return out


def _result(item: ResultInput) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["Result"]}
    for source, target in (
        ("value", "value"),
        ("status", "status"),
        ("achieved_level", "achievedLevel"),
        ("result_description", "resultDescription"),
    ):
        value = getattr(item, source)
        if value:
            out[target] = value
    return out


def _ob2(
    store: Store,
    request: _Request,
    plan: Mapping[str, Any],
    *,
    public_url: str,
    image_url: str | None,
    where: Layout,
) -> dict[str, Any] | str:
    from badgekiln.jsonld.strict import expand

    issuer = request.issuer
    identity, salt = _identity(request, plan)
    recipient: dict[str, Any] = {
        "type": request.recipient.type,
        "hashed": request.recipient.hashed,
        "identity": identity,
    }
    if salt is not None:
        recipient["salt"] = salt
    signed = request.format == "signed"
    rsa = issuer.active_key("rsa")
    assertion: dict[str, Any] = {
        "@context": documents.OB2_CONTEXT,
        "type": "Assertion",
        "id": f"urn:uuid:{_uuid_of(plan['name'])}" if signed else public_url,
        "recipient": recipient,
        "badge": where.url(paths.badge_class(issuer.slug, request.achievement["slug"])),
        "verification": (
            {"type": "SignedBadge", "creator": where.url(paths.ob2_key(issuer.slug, rsa.name))}
            if signed
            else {"type": "HostedBadge"}
        ),
        "issuedOn": plan["issued"],
    }
    if image_url is not None:
        assertion["image"] = image_url
    if request.evidence:
        assertion["evidence"] = [_evidence(e, ob3=False) for e in request.evidence]
    if request.narrative:
        assertion["narrative"] = request.narrative
    if request.valid_until is not None:
        assertion["expires"] = stamp(request.valid_until)
    expand(assertion)
    if not signed:
        return assertion
    from badgekiln.proofs.jws import sign_compact

    signer = load_signer(store, rsa)
    return sign_compact({"alg": "RS256"}, document_bytes(assertion), signer)


def _base_image(
    store: Store, request: _Request, plan: Mapping[str, Any], public_url: str, fmt: ImageFormat
) -> bytes:
    image = achievement_image(store, request.issuer, request.achievement)
    own = request.achievement["image_format"]
    if request.personalise:
        from badgekiln.render import personalise_svg

        issued = parse_stamp(plan["issued"])
        values = {
            "recipient_name": request.recipient.name or "",
            "achievement_name": request.achievement["name"],
            "issuer_name": request.issuer.name,
            "issued_on": f"{issued.day} {issued:%B %Y}",
            "expires_on": (
                f"{request.valid_until.day} {request.valid_until:%B %Y}" if request.valid_until else ""
            ),
            "credential_id": plan["name"][:8],
            "verify_url": public_url,
        }
        image = personalise_svg(image, values)
    if fmt == "png" and own == "svg":
        from badgekiln.render import svg_to_png

        image = svg_to_png(image)
    return image


def _replay(store: Store, request: _Request, result: Mapping[str, Any]) -> Issued:
    """The credential an earlier request with the same key issued, read back from the store."""
    issuer = request.issuer
    where = Layout.parse(issuer.public_url)
    name = result.get("name")
    if not isinstance(name, str):
        raise StoreError("idempotency record has no credential name", reason="corrupt-record")
    record_obj = store.get(credential_record_path(issuer.slug, name))
    record = CredentialRecord.from_dict(load(record_obj), record_obj.key)
    hosted = _hosted(request, name)
    stored = store.get(hosted.key)
    credential: dict[str, Any] | str = (
        stored.body.decode("utf-8") if request.format in ("jwt", "signed") else load(stored)
    )
    fmt = _image_format(request)
    image_hosted = paths.baked_image(issuer.slug, name, fmt, spec=request.spec) if fmt else None
    return Issued(
        id=record.id,
        name=name,
        issuer=issuer.id,
        achievement=record.achievement,
        spec=request.spec,
        format=request.format,
        credential=credential,
        public_url=where.url(hosted),
        image_url=where.url(image_hosted) if image_hosted else None,
        image=store.get(image_hosted.key).body if image_hosted else None,
        image_format=fmt,
        issued=record.issued,
        replayed=True,
    )
