"""What issuers hand us, validated: issuers, achievements, recipients, evidence, results, and the
one request to issue a credential (:class:`IssueRequest`).

Every model is strict (unknown fields are refused, no type coercion) and :func:`parse` turns
pydantic's errors into one :class:`~badgekiln.errors.InvalidField` naming the first bad field as a
dotted path (``recipient.identity``, ``alignments.0.target_url``), with all of them in
``errors``. The library, the HTTP functions, the CLI and batch rows all read requests through
these models; date-times are read by the library's one parser
(:func:`badgekiln.model.dates.parse_aware`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from badgekiln.errors import InvalidField
from badgekiln.model.dates import parse_aware

__all__ = [
    "ACHIEVEMENT_TYPES",
    "EXAMPLE_IMAGE_BASE64",
    "AchievementInput",
    "AchievementRequest",
    "AlignmentInput",
    "ApiKeyRequest",
    "BatchRequest",
    "CredentialQuery",
    "EvidenceInput",
    "IssueOptions",
    "IssueRequest",
    "IssuerInput",
    "IssuerUpdate",
    "RecipientInput",
    "ResultInput",
    "ResultsQuery",
    "RotateRequest",
    "StatusChange",
    "UploadRequest",
    "check_text",
    "parse",
]

#: Longest URL accepted in any field: the fetcher's own cap.
MAX_URL_CHARS: Final = 2048
#: Longest free text (descriptions, criteria, narratives): a page of Markdown, not a book.
MAX_TEXT_CHARS: Final = 10_000
#: Longest name or short label.
MAX_NAME_CHARS: Final = 200
#: Most alignments, tags, evidence items or results on one object.
MAX_ITEMS: Final = 50
#: Longest revocation or suspension reason: it is published in OB 2.0 revocation lists.
MAX_REASON_CHARS: Final = 1000

#: OB 3.0 ``achievementType`` values (``ext:…`` extensions are accepted too).
ACHIEVEMENT_TYPES: Final = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)
_EXT_TYPE: Final = re.compile(r"ext:[A-Za-z0-9]{1,100}")
_URL: Final = re.compile(r"https?://[!-~]+")
_EMAIL: Final = re.compile(
    r"[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\.[A-Za-z]{2,63}"
)
_TELEPHONE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_DID: Final = re.compile(r"did:[a-z0-9]{1,20}:[A-Za-z0-9._:%-]{1,2000}")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Lone surrogates (from argv or a JSON escape) are not text: UTF-8 cannot encode them.
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")


def _url(value: str) -> str:
    if len(value) > MAX_URL_CHARS or not _URL.fullmatch(value):
        raise ValueError(f"must be an absolute http(s) URL of at most {MAX_URL_CHARS} characters")
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if _SURROGATE.search(value):
        raise ValueError("must be valid Unicode (it holds a lone surrogate)")
    return value


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address (local@domain.tld)")
    return value


Url = Annotated[str, AfterValidator(_url)]
#: What kind of identity a recipient is (the CLI's ``--recipient-type`` offers the same).
RecipientType = Literal["email", "url", "telephone", "id"]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS), AfterValidator(_text)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_text)]
Email = Annotated[str, AfterValidator(_email)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]


#: Longest external id (characters): a pipeline's own key (an order or enrolment id), not a text.
MAX_EXTERNAL_ID_CHARS: Final = 255
ExternalId = Annotated[
    str, Field(min_length=1, max_length=MAX_EXTERNAL_ID_CHARS, pattern=r"^[!-~](?:[ -~]*[!-~])?$")
]


#: A small badge image (SVG), base64: the example of the API's image fields.
EXAMPLE_IMAGE_BASE64: Final = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">'
    b'<circle cx="100" cy="100" r="96" fill="#1d6f42"/></svg>'
).decode()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class IssuerInput(_Model):
    """A new issuer. ``kind``: ``web`` (did:web, the default where the public URL allows it),
    ``key`` (did:key: its own DID, nothing to host) or ``url`` (the profile URL is the id).
    ``suspension`` adds a suspension status entry to every OB 3.0 credential (see docs)."""

    # merged with _Model's configuration
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Acme Academy",
                    "url": "https://academy.acme.example",
                    "email": "badges@acme.example",
                },
                {"name": "Local test issuer", "url": "https://example.org", "kind": "key"},
            ]
        },
    )

    name: Name
    url: Url
    slug: Slug | None = None
    email: Email | None = None
    description: Text | None = None
    kind: Literal["web", "key", "url"] | None = None
    suspension: bool = False


class AlignmentInput(_Model):
    """An alignment to a framework or competency (OB 2.0 ``alignment``, OB 3.0 ``Alignment``)."""

    target_name: Name
    target_url: Url
    target_description: Text | None = None
    target_framework: Name | None = None
    target_code: Name | None = None


def _achievement_type(value: str) -> str:
    if value not in ACHIEVEMENT_TYPES and not _EXT_TYPE.fullmatch(value):
        raise ValueError("must be an OB 3.0 achievementType (Badge, Certificate, …) or ext:Name")
    return value


class AchievementInput(_Model):
    """A new achievement / badge class of an issuer (its image is passed alongside, as bytes)."""

    name: Name
    description: Text
    criteria: Text
    criteria_url: Url | None = None
    slug: Slug | None = None
    achievement_type: Annotated[str, AfterValidator(_achievement_type)] | None = None
    alignments: Annotated[list[AlignmentInput], Field(max_length=MAX_ITEMS)] = []
    tags: Annotated[list[Name], Field(max_length=MAX_ITEMS)] = []


def _base64(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64 (standard alphabet, padded)") from None


class AchievementRequest(AchievementInput):
    """A new achievement as the HTTP API takes it: its fields and its image, base64-encoded."""

    # merged with _Model's configuration
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Python Foundations",
                    "description": "Writes, tests and packages small Python programs.",
                    "criteria": "Passed the final assessment with at least 80% and submitted a project.",
                    "slug": "python-foundations",
                    "achievement_type": "Certificate",
                    "tags": ["python", "programming"],
                    "image": EXAMPLE_IMAGE_BASE64,
                }
            ]
        },
    )

    image: Annotated[bytes, BeforeValidator(_base64, json_schema_input_type=str)] = Field(
        description="The badge image (PNG or SVG), base64.", min_length=1
    )

    @property
    def achievement(self) -> AchievementInput:
        """The achievement without its image."""
        return AchievementInput.model_validate(self.model_dump(exclude={"image"}))


class RecipientInput(_Model):
    """Who the badge is for. ``type`` ``email`` (default), ``url``, ``telephone`` (E.164) or
    ``id`` (a DID or URL that becomes OB 3.0 ``credentialSubject.id``). ``hashed`` (default)
    stores ``sha256(identity ‖ salt)`` with a random salt instead of the identity. ``name`` only
    personalises the badge image; it is never written into the credential."""

    # type and hashed come first: the identity is checked against them
    type: RecipientType = "email"
    hashed: bool = True
    identity: Annotated[str, Field(min_length=1, max_length=2048)]
    name: Name | None = None

    @field_validator("identity")
    @classmethod
    def _identity_fits_type(cls, identity: str, info: ValidationInfo) -> str:
        kind = info.data.get("type", "email")
        if kind == "email":
            _email(identity)
        elif kind == "url":
            _url(identity)
        elif kind == "telephone" and not _TELEPHONE.fullmatch(identity):
            raise ValueError("a telephone recipient must be E.164 (+ and 7–15 digits)")
        elif kind == "id":
            if not (_DID.fullmatch(identity) or _URL.fullmatch(identity)):
                raise ValueError("an id recipient must be a DID or an http(s) URL")
            if info.data.get("hashed", True):
                raise ValueError("an id recipient is the subject's own id: pass hashed false")
        return identity


class EvidenceInput(_Model):
    """One piece of evidence: a URL and/or a description of it (at least one field)."""

    id: Url | None = None
    name: Name | None = None
    narrative: Text | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> EvidenceInput:
        if not (self.id or self.name or self.narrative or self.description):
            raise ValueError("evidence needs at least one of id, name, narrative, description")
        return self


class ResultInput(_Model):
    """An OB 3.0 result (a score, grade or status) of the achievement (at least one field)."""

    value: Name | None = None
    status: (
        Literal["Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"] | None
    ) = None
    achieved_level: Url | None = None
    result_description: Url | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ResultInput:
        if not (self.value or self.status or self.achieved_level or self.result_description):
            raise ValueError(
                "a result needs at least one of value, status, achieved_level, result_description"
            )
        return self


def _recipient(value: Any) -> Any:
    # an e-mail address on its own is the common case
    return {"identity": value} if isinstance(value, str) else value


def _items(value: Any) -> Any:
    # one item is a list of one; a tuple is a list
    if isinstance(value, str | Mapping | BaseModel):
        return [value]
    return list(value) if isinstance(value, tuple) else value


def _evidence(value: Any) -> Any:
    # an evidence URL on its own is the evidence's id
    items = _items(value)
    if isinstance(items, list):
        return [{"id": item} if isinstance(item, str) else item for item in items]
    return items


def _instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_aware(value)
        except ValueError as exc:
            raise ValueError(f"must be an ISO 8601 date-time with a time zone: {exc}") from None
    return value


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be a date-time with a time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of UTC date-times") from None


#: An instant: an aware datetime, or its ISO 8601 text with a zone; normalised to UTC.
Instant = Annotated[
    datetime, BeforeValidator(_instant, json_schema_input_type=datetime), AfterValidator(_in_utc)
]
#: A credential's own name: a slug, case-folded.
CredentialName = Annotated[
    str,
    BeforeValidator(lambda value: value.lower() if isinstance(value, str) else value),
    Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"),
]


class IssueOptions(_Model):
    """How credentials are issued; a batch applies them to every row."""

    spec: Literal["ob3", "ob2"] = Field(default="ob3", description="Open Badges 3.0 or 2.0.")
    proof: Literal["di", "jwt"] | None = Field(
        default=None, description="OB 3.0: Data Integrity (default) or VC-JWT."
    )
    algorithm: Literal["RS256", "EdDSA"] = Field(default="RS256", description="VC-JWT algorithm.")
    signed: bool = Field(default=False, description="OB 2.0: a signed (JWS) rather than hosted assertion.")
    image: Literal["png", "svg", "none"] | None = Field(
        default=None, description="The baked image's format (default: the achievement image's)."
    )
    personalise: bool = Field(default=False, description="Fill the SVG template's placeholders first.")


class BatchRequest(IssueOptions):
    """A batch: the achievement every row gets, and how each is issued."""

    achievement: Annotated[str, Field(min_length=1, max_length=MAX_URL_CHARS)] = Field(
        description="The achievement's slug or URL."
    )


class UploadRequest(BatchRequest):
    """A batch file to upload: the achievement every row gets, the file's format, options."""

    # merged with _Model's configuration
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"achievement": "python-foundations", "format": "csv"}]},
    )

    format: Literal["csv", "jsonl"] = Field(description="CSV with a header, or JSON Lines.")


class IssueRequest(BatchRequest):
    """What to issue: an achievement of the issuer to one recipient, and how.

    Cross-field rules (OB 2.0 has no ``proof`` or ``results``, OB 3.0 is never ``signed`` …) and
    those that need the issuer are checked when it is issued.
    """

    # merged with _Model's configuration
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "achievement": "python-foundations",
                    "recipient": {"identity": "ada@example.org", "name": "Ada Lovelace"},
                    "external_id": "lms-enrolment-48213",
                    "evidence": ["https://lms.example.org/submissions/48213"],
                    "narrative": "Built and tested a command-line budget tracker.",
                    "valid_until": "2029-12-31T23:59:59Z",
                },
                {"achievement": "teamwork", "recipient": "grace@example.org", "spec": "ob2"},
            ]
        },
    )

    recipient: Annotated[
        RecipientInput, BeforeValidator(_recipient, json_schema_input_type=str | RecipientInput)
    ] = Field(description="An e-mail address, or a recipient object.")
    credential_id: CredentialName | None = Field(
        default=None, description="Your own name for it (a slug): issuing it again is idempotent."
    )
    evidence: (
        Annotated[
            list[EvidenceInput],
            BeforeValidator(_evidence, json_schema_input_type=list[EvidenceInput | str]),
            Field(max_length=MAX_ITEMS),
        ]
        | None
    ) = Field(default=None, description="Evidence objects, or their URLs.")
    narrative: Text | None = Field(default=None, description="How this recipient earned it.")
    results: Annotated[list[ResultInput], BeforeValidator(_items), Field(max_length=MAX_ITEMS)] | None = (
        Field(default=None, description="OB 3.0 results (scores, grades, statuses).")
    )
    valid_until: Instant | None = Field(default=None, description="Expiry, with a time zone.")
    external_id: ExternalId | None = Field(
        default=None,
        description=(
            "Your pipeline's own id for this credential (1–255 printable ASCII characters), to find "
            "it again: credentials can be listed by it."
        ),
    )

    @property
    def format(self) -> Literal["di", "jwt", "hosted", "signed"]:
        """The credential's form: OB 3.0 ``di`` or ``jwt``, OB 2.0 ``hosted`` or ``signed``."""
        if self.spec == "ob3":
            return self.proof or "di"
        return "signed" if self.signed else "hosted"


class IssuerUpdate(_Model):
    """Changes to an issuer's profile: the fields given are replaced (its logo is passed alongside)."""

    name: Name | None = None
    url: Url | None = None
    email: Email | None = None
    description: Text | None = None


#: Credentials on a page of a listing unless asked otherwise, and at most (each is a record read).
DEFAULT_PAGE: Final = 50
MAX_PAGE: Final = 500


class CredentialQuery(_Model):
    """Which of an issuer's credentials to list, and which page. Every filter given must match."""

    recipient: Annotated[str, Field(min_length=1, max_length=MAX_URL_CHARS)] | None = Field(
        default=None, description="Only those issued to this recipient (e-mail addresses ignore case)."
    )
    recipient_type: RecipientType = Field(default="email", description="What kind of identity recipient is.")
    external_id: ExternalId | None = Field(
        default=None, description="Only the one(s) issued with this external_id."
    )
    achievement: Slug | None = Field(default=None, description="Only those of this achievement (slug).")
    state: Literal["active", "revoked", "suspended"] | None = Field(
        default=None, description="Only those in this state."
    )
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="Most credentials on the page.")
    cursor: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="next_cursor of the page before."
    )


#: Rows on a page of an upload's results unless asked otherwise, and at most.
DEFAULT_RESULTS_PAGE: Final = 100
MAX_RESULTS_PAGE: Final = 1000


class ResultsQuery(_Model):
    """Which page of an upload's per-row results."""

    ok: bool | None = Field(
        default=None, description="Only the rows that succeeded (true) or failed (false)."
    )
    limit: int = Field(
        default=DEFAULT_RESULTS_PAGE, ge=1, le=MAX_RESULTS_PAGE, description="Most rows on the page."
    )
    cursor: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,200}$")] | None = Field(
        default=None,
        description="next_cursor of the page before (opaque; a line number as handed out before is "
        "still taken).",
    )


class RotateRequest(_Model):
    """Which key families of an issuer get a new key."""

    # merged with _Model's configuration
    model_config = ConfigDict(json_schema_extra={"examples": [{"families": ["ed25519"]}]})

    families: list[Literal["ed25519", "rsa"]] = Field(default=["ed25519", "rsa"], min_length=1, max_length=2)


class ApiKeyRequest(_Model):
    """A new API key: ``admin``, or for one ``issuer`` (its slug or id)."""

    # merged with _Model's configuration
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"issuer": "acme-academy", "label": "LMS pipeline"}, {"admin": True, "label": "ops"}]
        },
    )

    issuer: str | None = Field(default=None, min_length=1, max_length=MAX_URL_CHARS)
    admin: bool = False
    label: Name | None = Field(default=None, description="What the key is for (one line).")
    expires: Instant | None = Field(
        default=None, description="When the key stops working (with a time zone); none: it does not expire."
    )


class StatusChange(_Model):
    """Why a credential's status changes (published in OB 2.0 revocation lists)."""

    # merged with _Model's configuration
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Issued to the wrong recipient."}]},
    )

    reason: Annotated[Text, Field(max_length=MAX_REASON_CHARS)] | None = Field(
        default=None, description="Published in the OB 2.0 revocation list."
    )


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse(model: type[ModelT], value: Any, *, field: str | None = None) -> ModelT:
    """``value`` validated as ``model`` (an instance of it is returned as is).

    ``field`` prefixes the reported field path (``parse(RecipientInput, r, field="recipient")``).

    Raises:
        InvalidField: the first failing field in ``field``, all of them in ``errors``.
    """
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    # Raised outside the except block, so the ValidationError is not its __context__: pydantic-core
    # does not show the garbage collector the ValueError a validator raised (kept in the error's
    # ctx with its traceback and every frame up the stack), so a cycle through it is never freed:
    # a warm issue function leaked every batch with a bad row (its worker threads included).
    raise InvalidField.of_errors(errors, prefix=[field] if field else ())


def check_text(value: Any, *, field: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Return ``value`` if it is free text as the models take it: non-blank, at most ``limit``
    characters, no control characters (tabs and newlines are fine), valid Unicode.

    For text passed beside a model (a narrative, a revocation reason, a label).

    Raises:
        InvalidField: (``field``) it is not.
    """
    try:
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(f"must be text of at most {limit} characters")
        return _text(value)
    except ValueError as exc:
        raise InvalidField(f"{field} {exc}", field=field) from None
