"""Issue one credential: OB 3.0 (Data Integrity or VC-JWT) or OB 2.0 (hosted or signed).

::

    issued = issue_credential(store, "acme", {"achievement": "teamwork", "recipient": "ada@example.org"})
    issued.credential      # the signed OpenBadgeCredential (dict), also at issued.public_url
    issued.image           # the achievement image with the credential baked in

What to issue is one :class:`~badgekiln.issue.models.IssueRequest` (or a mapping of its fields),
the same model the HTTP API, the CLI and batch rows read.

**Order of writes** (so no half-issued credential ever verifies, and a retry finishes the job):

1. the idempotency record is created (the job is claimed) and the plan saved in it: credential
   name, status list index (allocated under compare-and-swap; the list is published before the
   index is handed out), recipient salt and timestamps;
2. the private credential record (what revocation and reading it back need): from here on it
   can be revoked; then its index entries (by recipient, by external id: one object each,
   :mod:`~badgekiln.issue.registry`);
3. the baked image;
4. the public credential (OB 3.0 JSON / JWT, OB 2.0 assertion): a hosted assertion verifies
   only from now on, and everything it names already exists;
5. the idempotency record is marked done.

Then the ``Credential Issued`` event is sent (:mod:`~badgekiln.issue.events`: best effort, after
every write but the idempotency record's).

Signing is deterministic given the plan (Ed25519, RSA PKCS#1 v1.5), so a retry after a crash at
any point rewrites byte-identical objects and returns the same credential.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from badgekiln.errors import Conflict, InvalidField, StoreError
from badgekiln.hosting import layout as paths
from badgekiln.hosting.layout import ImageFormat, Layout
from badgekiln.issue import documents, events, idempotency
from badgekiln.issue.achievements import achievement_image, get_achievement
from badgekiln.issue.issuers import get_issuer
from badgekiln.issue.models import EvidenceInput, IssueRequest, ResultInput, parse
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
from badgekiln.issue.registry import CredentialView, index_credential
from badgekiln.issue.signing import active_signer
from badgekiln.issue.statuslists import allocate_index, purposes
from badgekiln.masking import mask_identity
from badgekiln.store.base import Store

__all__ = ["Checked", "Issued", "check_request", "issue_credential", "request_hash"]

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
    #: The credential's public verify page (``/v/<issuer>/<name>``), for people.
    verify_url: str
    #: The pipeline's own id for it (``IssueRequest.external_id``).
    external_id: str | None = None
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
            "verify_url": self.verify_url,
            "external_id": self.external_id,
            "issued": self.issued,
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class Checked:
    """What :func:`issue_credential` would do with a request, found without writing anything:
    ``would`` is ``issue`` (a new credential), ``replay`` (its idempotency key was used for this
    very request) or ``wait`` (that request is still running, or crashed and will be resumed)."""

    issuer: str
    achievement: str
    spec: Spec
    format: str
    image_format: ImageFormat | None
    #: The recipient's identity, masked (``a•••@e•••.org``).
    recipient: str
    recipient_type: str
    hashed: bool
    would: Literal["issue", "replay", "wait"]

    def summary(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "would": self.would,
            "issuer": self.issuer,
            "achievement": self.achievement,
            "spec": self.spec,
            "format": self.format,
            "image": self.image_format,
            "recipient": self.recipient,
            "recipient_type": self.recipient_type,
            "hashed": self.hashed,
        }


_WOULD: Final[Mapping[str, Literal["issue", "replay", "wait"]]] = {
    "new": "issue",
    "done": "replay",
    "pending": "wait",
}


@dataclass(frozen=True)
class _Job:
    """A checked request, with the issuer and achievement it names."""

    issuer: IssuerRecord
    achievement: dict[str, Any]
    request: IssueRequest


def _check(store: Store, issuer_ref: str, request: IssueRequest) -> _Job:
    """The rules between fields, and those that need the issuer.

    Raises:
        InvalidField: (``field`` names it) an option of the other spec, an RS256 VC-JWT by a
            did:key issuer, an OB 2.0 recipient that is an id.
        NotFound: no such issuer or achievement.
    """
    if request.spec == "ob3" and request.signed:
        raise InvalidField("--signed applies to OB 2.0; OB 3.0 credentials are always signed", field="signed")
    if request.spec == "ob2" and request.proof is not None:
        raise InvalidField("proof applies to OB 3.0; OB 2.0 is hosted or --signed", field="proof")
    if request.spec == "ob2" and request.results:
        raise InvalidField("results are an OB 3.0 feature", field="results")
    if request.spec == "ob2" and request.recipient.type == "id":
        raise InvalidField("OB 2.0 recipients are an email, url or telephone", field="recipient.type")
    issuer = get_issuer(store, issuer_ref)
    rsa = issuer.active_key("rsa")
    if request.format == "jwt" and request.algorithm == "RS256" and rsa.method_id is None:
        raise InvalidField(
            "a did:key issuer has no RS256 key for VC-JWT (a did:key names one Ed25519 key); use --alg EdDSA",
            field="algorithm",
        )
    return _Job(issuer, get_achievement(store, issuer, request.achievement), request)


def request_hash(job: _Job) -> str:
    """SHA-256 of everything that decides the credential (the idempotency fingerprint)."""
    request = job.request
    body = {
        "issuer": job.issuer.id,
        "achievement": job.achievement["slug"],
        "recipient": request.recipient.model_dump(mode="json"),
        "spec": request.spec,
        "format": request.format,
        "algorithm": request.algorithm if request.format == "jwt" else None,
        "evidence": [e.model_dump(mode="json", exclude_none=True) for e in request.evidence or ()],
        "narrative": request.narrative,
        "results": [r.model_dump(mode="json", exclude_none=True) for r in request.results or ()],
        "valid_until": stamp(request.valid_until) if request.valid_until else None,
        "image": request.image,
        "personalise": request.personalise,
        "credential_id": request.credential_id,
    }
    if request.external_id is not None:  # only when set: earlier fingerprints stay the same
        body["external_id"] = request.external_id
    return hashlib.sha256(dump(body)).hexdigest()


def issue_credential(
    store: Store,
    issuer_id: str,
    request: IssueRequest | Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Issued:
    """Issue what ``request`` asks (an :class:`~badgekiln.issue.models.IssueRequest`, or a
    mapping of its fields) for ``issuer_id`` (slug or id); see the module doc.

    ``request.recipient`` is an e-mail address or a recipient object. OB 3.0 (``spec="ob3"``) is
    signed with ``eddsa-rdfc-2022`` Data Integrity (``proof="di"``, the default) or as a VC-JWT
    (``proof="jwt"``, ``algorithm`` RS256 or EdDSA); OB 2.0 is hosted, or an RS256 JWS with
    ``signed``. ``image`` picks the baked image: the achievement's own format by default,
    ``png`` (an SVG achievement is rendered), ``svg``, or ``none``; ``personalise`` fills an SVG
    achievement image's placeholders first. The same ``idempotency_key`` (or
    ``request.credential_id``) always yields the one credential.

    Raises:
        InvalidField: a bad request (``field`` names the first bad field); ``valid_until`` not
            after ``now``.
        NotFound: no such issuer or achievement.
        Conflict: the idempotency key (or credential id) was used for a different request, or
            its first request is still running; a rotation retired the signing key meanwhile
            (``reason="key-retired"``: repeat the request, which takes the job over at once).
        RenderError, MalformedImage, InputTooLarge: the image could not be rendered or baked.
        SigningError: the signer (local key or KMS) failed.
        StoreError: the store failed.
    """
    when = now or datetime.now(UTC)
    job, fingerprint, key = _prepare(store, issuer_id, request, idempotency_key, when)
    if key is None:
        return _run(store, job, _plan(store, job, when), fingerprint)
    owned = idempotency.claim(store, job.issuer.slug, key, fingerprint)
    if owned.result is not None:
        return _replay(store, job, owned.result)
    if owned.plan is not None:
        plan = dict(owned.plan)  # a crashed earlier attempt: finish its very credential
    else:
        plan = _plan(store, job, when)
        owned = idempotency.save_plan(store, owned, plan, now=when)
    try:
        issued = _run(store, job, plan, fingerprint)
    except Conflict as exc:
        if exc.reason == "key-retired":  # "repeat the request": the repeat need not wait
            idempotency.let_go(store, owned)
        raise
    idempotency.finish(store, owned, {"name": issued.name, "format": issued.format})
    return issued


def _prepare(
    store: Store,
    issuer_id: str,
    request: IssueRequest | Mapping[str, Any],
    idempotency_key: str | None,
    when: datetime,
) -> tuple[_Job, str, str | None]:
    """The checked job, its fingerprint and its idempotency key (``credential_id`` implies one).

    Raises:
        InvalidField, NotFound: as :func:`issue_credential`.
    """
    if when.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    job = _check(store, issuer_id, parse(IssueRequest, request))
    if job.request.valid_until is not None and job.request.valid_until <= when:
        raise InvalidField("valid_until must be in the future", field="valid_until")
    _image_format(job)  # refused now, before an index is allocated or anything written
    key = idempotency_key
    if key is None and job.request.credential_id is not None:
        key = f"credential-id:{job.request.credential_id}"
    return job, request_hash(job), key


def check_request(
    store: Store,
    issuer_id: str,
    request: IssueRequest | Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Checked:
    """Check ``request`` as :func:`issue_credential` would, and say what it would do; nothing is
    written (only the issuer, the achievement and the idempotency record are read).

    Raises:
        InvalidField, NotFound: as :func:`issue_credential`.
        Conflict: (``reason="idempotency-mismatch"``) the idempotency key (or credential id) was
            used for a different request.
        StoreError: the store failed.
    """
    job, fingerprint, key = _prepare(store, issuer_id, request, idempotency_key, now or datetime.now(UTC))

    state = "new" if key is None else idempotency.peek(store, job.issuer.slug, key, fingerprint)
    recipient = job.request.recipient
    return Checked(
        issuer=job.issuer.slug,
        achievement=job.achievement["slug"],
        spec=job.request.spec,
        format=job.request.format,
        image_format=_image_format(job),
        recipient=mask_identity(recipient.identity, recipient.type),
        recipient_type=recipient.type,
        hashed=recipient.hashed,
        would=_WOULD[state],
    )


def _plan(store: Store, job: _Job, when: datetime) -> dict[str, Any]:
    from badgekiln.verification.recipient import hash_identity

    plan: dict[str, Any] = {
        "name": job.request.credential_id or str(uuid.uuid4()),
        "issued": stamp(when),
        "salt": hash_identity(job.request.recipient.identity)[1] if job.request.recipient.hashed else None,
    }
    if job.request.spec == "ob3":
        where = Layout.parse(job.issuer.public_url)
        plan["status_list"], plan["status_index"] = allocate_index(store, where, job.issuer, now=when)
    return plan


def _hosted(job: _Job, name: str) -> paths.Hosted:
    slug = job.issuer.slug
    if job.request.spec == "ob3":
        return paths.credential(slug, name, jwt=job.request.format == "jwt")
    if job.request.format == "signed":
        return paths.signed_assertion(slug, name)
    return paths.assertion(slug, name)


def _image_format(job: _Job) -> ImageFormat | None:
    if job.request.image == "none":
        return None
    own: ImageFormat = job.achievement["image_format"]
    wanted = job.request.image or own
    if wanted == "svg" and own == "png":
        raise InvalidField(
            "an SVG cannot be made from a PNG achievement image; use --image png", field="image"
        )
    if job.request.personalise and own != "svg":
        raise InvalidField("personalised images need an SVG achievement image", field="personalise")
    return wanted


def _run(store: Store, job: _Job, plan: Mapping[str, Any], fingerprint: str) -> Issued:
    from badgekiln.baking import bake

    issuer = job.issuer
    where = Layout.parse(issuer.public_url)
    name = plan["name"]
    hosted = _hosted(job, name)
    public_url = where.url(hosted)
    fmt = _image_format(job)
    image_hosted = paths.baked_image(issuer.slug, name, fmt, spec=job.request.spec) if fmt else None
    image_url = where.url(image_hosted) if image_hosted else None
    if job.request.spec == "ob3":
        credential: dict[str, Any] | str = _ob3(store, job, plan, public_url, where)
        credential_id = public_url
    else:
        credential = _ob2(store, job, plan, public_url=public_url, image_url=image_url, where=where)
        credential_id = public_url if job.request.format == "hosted" else f"urn:uuid:{_uuid_of(name)}"
    payload = credential if isinstance(credential, str) else document_bytes(credential).decode("utf-8")
    baked = None
    if fmt is not None and image_hosted is not None:
        baked = bake(_base_image(store, job, plan, public_url, fmt), payload, spec=job.request.spec)
    record = CredentialRecord(
        name=name,
        issuer=issuer.slug,
        spec=job.request.spec,
        format=job.request.format,
        id=credential_id,
        achievement=job.achievement["slug"],
        issued=plan["issued"],
        status_list=plan.get("status_list"),
        status_index=plan.get("status_index"),
        purposes=purposes(issuer) if job.request.spec == "ob3" else (),
        image_format=fmt,
        recipient=mask_identity(job.request.recipient.identity, job.request.recipient.type),
        recipient_type=job.request.recipient.type,
        external_id=job.request.external_id,
    )
    _save_record(store, record, fingerprint)
    index_credential(store, record, identity=job.request.recipient.identity)
    if baked is not None and image_hosted is not None:
        publish_bytes(store, image_hosted, baked)
    publish_bytes(store, hosted, payload.encode("utf-8"))
    events.publish([events.credential_event("Credential Issued", CredentialView(record, issuer))])
    return Issued(
        id=credential_id,
        name=name,
        issuer=issuer.id,
        achievement=job.achievement["slug"],
        spec=job.request.spec,
        format=job.request.format,
        credential=credential,
        public_url=public_url,
        image_url=image_url,
        image=baked,
        image_format=fmt,
        issued=plan["issued"],
        verify_url=where.verify_page(issuer.slug, name),
        external_id=job.request.external_id,
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


def _identity(job: _Job, plan: Mapping[str, Any]) -> tuple[str, str | None]:
    from badgekiln.verification.recipient import hash_identity

    if not job.request.recipient.hashed:
        return job.request.recipient.identity, None
    identity_hash, salt = hash_identity(job.request.recipient.identity, salt=plan["salt"])
    return identity_hash, salt


def _ob3(
    store: Store, job: _Job, plan: Mapping[str, Any], public_url: str, where: Layout
) -> dict[str, Any] | str:
    from badgekiln.jsonld.strict import expand
    from badgekiln.status import build_status_entry

    issuer = job.issuer
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    recipient = job.request.recipient
    if recipient.type == "id":
        subject["id"] = recipient.identity
    else:
        identity, salt = _identity(job, plan)
        identifier: dict[str, Any] = {
            "type": "IdentityObject",
            "identityHash": identity,
            "identityType": _IDENTITY_TYPES[recipient.type],
            "hashed": recipient.hashed,
        }
        if salt is not None:
            identifier["salt"] = salt
        subject["identifier"] = [identifier]
    image_format: ImageFormat = job.achievement["image_format"]
    subject["achievement"] = documents.achievement_document(
        where, issuer, job.achievement, image_format, embedded=True
    )
    if job.request.narrative:
        subject["narrative"] = job.request.narrative
    if job.request.results:
        subject["result"] = [_result(r) for r in job.request.results]
    credential: dict[str, Any] = {
        "@context": list(documents.OB3_CONTEXTS),
        "id": public_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": documents.embedded_profile(issuer),
        "validFrom": plan["issued"],
    }
    if job.request.valid_until is not None:
        credential["validUntil"] = stamp(job.request.valid_until)
    credential["name"] = job.achievement["name"]
    credential["credentialSubject"] = subject
    if job.request.evidence:
        credential["evidence"] = [_evidence(e, ob3=True) for e in job.request.evidence]
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
    if job.request.format == "di":
        from badgekiln.proofs.dataintegrity import create_proof

        signer = active_signer(store, issuer, "ed25519")
        secured = create_proof(credential, signer, verification_method=signer.key_id, created=created)
        # OB 3.0's JSON serialization writes every 0..* property as an array, proof included
        # (its JSON Schema says so); the array is not part of what the proof signs
        secured["proof"] = [secured["proof"]]
        return secured
    expand(credential)  # what a JWT carries must mean what it says, as for Data Integrity
    return _vc_jwt(store, job, credential, created)


def _vc_jwt(store: Store, job: _Job, credential: dict[str, Any], created: datetime) -> str:
    from badgekiln.proofs.jws import sign_compact

    family: KeyFamily = "rsa" if job.request.algorithm == "RS256" else "ed25519"
    signer = active_signer(store, job.issuer, family)
    claims: dict[str, Any] = {
        **credential,
        "iss": job.issuer.id,
        "jti": credential["id"],
        "nbf": int(created.timestamp()),
    }
    if job.request.valid_until is not None:
        claims["exp"] = int(job.request.valid_until.timestamp())
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
    job: _Job,
    plan: Mapping[str, Any],
    *,
    public_url: str,
    image_url: str | None,
    where: Layout,
) -> dict[str, Any] | str:
    from badgekiln.jsonld.strict import expand

    issuer = job.issuer
    identity, salt = _identity(job, plan)
    recipient: dict[str, Any] = {
        "type": job.request.recipient.type,
        "hashed": job.request.recipient.hashed,
        "identity": identity,
    }
    if salt is not None:
        recipient["salt"] = salt
    signed = job.request.format == "signed"
    rsa = issuer.active_key("rsa")
    assertion: dict[str, Any] = {
        "@context": documents.OB2_CONTEXT,
        "type": "Assertion",
        "id": f"urn:uuid:{_uuid_of(plan['name'])}" if signed else public_url,
        "recipient": recipient,
        "badge": where.url(paths.badge_class(issuer.slug, job.achievement["slug"])),
        "verification": (
            {"type": "SignedBadge", "creator": where.url(paths.ob2_key(issuer.slug, rsa.name))}
            if signed
            else {"type": "HostedBadge"}
        ),
        "issuedOn": plan["issued"],
    }
    if image_url is not None:
        assertion["image"] = image_url
    if job.request.evidence:
        assertion["evidence"] = [_evidence(e, ob3=False) for e in job.request.evidence]
    if job.request.narrative:
        assertion["narrative"] = job.request.narrative
    if job.request.valid_until is not None:
        assertion["expires"] = stamp(job.request.valid_until)
    expand(assertion)
    if not signed:
        return assertion
    from badgekiln.proofs.jws import sign_compact

    signer = active_signer(store, issuer, "rsa")
    return sign_compact({"alg": "RS256"}, document_bytes(assertion), signer)


def _base_image(store: Store, job: _Job, plan: Mapping[str, Any], public_url: str, fmt: ImageFormat) -> bytes:
    from badgekiln.render import is_template

    image = achievement_image(store, job.issuer, job.achievement)
    own = job.achievement["image_format"]
    # a template is never baked with its {{placeholders}} showing, asked to personalise or not
    if job.request.personalise or (own == "svg" and is_template(image)):
        from badgekiln.render import personalise_svg

        issued, expires = parse_stamp(plan["issued"]), job.request.valid_until
        values = {
            "recipient_name": job.request.recipient.name or "",
            "achievement_name": job.achievement["name"],
            "issuer_name": job.issuer.name,
            "issued_on": f"{issued.day} {issued:%B %Y}",
            "expires_on": f"{expires.day} {expires:%B %Y}" if expires else "",
            "credential_id": plan["name"][:8],
            "verify_url": public_url,
        }
        try:
            image = personalise_svg(image, values)
        except InvalidField as exc:
            if exc.details.get("field") != "template":
                raise
            raise InvalidField(
                f"the achievement's image is a badge template that cannot be filled ({exc.message}); "
                "fix the template, or give the achievement an image without {{…}}",
                field="achievement",
                reason=exc.reason,
            ) from exc
    if fmt == "png" and own == "svg":
        from badgekiln.render import svg_to_png

        image = svg_to_png(image)
    return image


def _replay(store: Store, job: _Job, result: Mapping[str, Any]) -> Issued:
    """The credential an earlier request with the same key issued, read back from the store."""
    issuer = job.issuer
    where = Layout.parse(issuer.public_url)
    name = result.get("name")
    if not isinstance(name, str):
        raise StoreError("idempotency record has no credential name", reason="corrupt-record")
    record_obj = store.get(credential_record_path(issuer.slug, name))
    record = CredentialRecord.from_dict(load(record_obj), record_obj.key)
    hosted = _hosted(job, name)
    stored = store.get(hosted.key)
    credential: dict[str, Any] | str = (
        stored.body.decode("utf-8") if job.request.format in ("jwt", "signed") else load(stored)
    )
    fmt = _image_format(job)
    image_hosted = paths.baked_image(issuer.slug, name, fmt, spec=job.request.spec) if fmt else None
    return Issued(
        id=record.id,
        name=name,
        issuer=issuer.id,
        achievement=record.achievement,
        spec=job.request.spec,
        format=job.request.format,
        credential=credential,
        public_url=where.url(hosted),
        image_url=where.url(image_hosted) if image_hosted else None,
        image=store.get(image_hosted.key).body if image_hosted else None,
        image_format=fmt,
        issued=record.issued,
        verify_url=where.verify_page(issuer.slug, name),
        external_id=record.external_id,
        replayed=True,
    )
