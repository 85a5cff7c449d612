"""Offline verdicts from openbadgeslib (PyPI openbadgeslib[ldp]==4.6.3, LGPL-3.0).

openbadgeslib is used here ONLY as an external test oracle, through its public API; none of its
code is copied. ``tests/interop/harness.py`` sets up its virtualenv and runs this file with that
environment's Python (it is never imported by badgekiln).

Inputs (auto-detected from content):
  * baked PNG / SVG  -> openbadgeslib.verify.verify_badge() (OB 3.0 or OB 2.0)
  * compact JWS/JWT  -> OB3Verifier (OB 3.0 VC-JWT) or OB2Verifier.verify (OB 2.0 JWS)
  * JSON document    -> OB3LdpVerifier (OB 3.0 Data Integrity) or
                        OB2Verifier.verify_hosted (OB 2.0 hosted assertion JSON)
  * http(s) URL      -> OB 2.0 hosted assertion URL (fetched through the offline map)

Every fetch the library would make goes through one offline downloader: local files
(--doc, --doc-prefix, --did-doc), optionally real HTTP to 127.0.0.1/localhost
(--allow-loopback); anything else fails and is listed in details.network.refused.

Prints one JSON object {"verified": bool, "trusted": bool, "details": {...}}.
Exit code 0 verified, 1 not verified, 2 usage/internal error.
"""

import argparse
import base64
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # offline.py, shared with ob2
from offline import LocalDocuments, die, split_pair

NETWORK = {"served": [], "refused": [], "loopback": []}
MAX_FETCH = 5 * 1024 * 1024


def did_web_to_url(did):
    bare = did.split("#")[0].split("?")[0]
    if not bare.startswith("did:web:"):
        die(f"not a did:web DID: {did}")
    domain, *paths = bare[len("did:web:") :].split(":")
    origin = "https://" + urllib.parse.unquote(domain)
    if not paths:
        return origin + "/.well-known/did.json"
    return origin + "/" + "/".join(urllib.parse.unquote(p) for p in paths) + "/did.json"


class OfflineDownloader:
    """url -> bytes, answering only from local files (and loopback if allowed)."""

    def __init__(self, documents, allow_loopback):
        self.documents = documents
        self.allow_loopback = allow_loopback

    def __call__(self, url):
        found = self.documents.find(url)
        if found:
            p, src = found
            NETWORK["served"].append({"url": url, "from": src})
            with open(p, "rb") as f:
                return f.read(MAX_FETCH + 1)[:MAX_FETCH]
        host = urllib.parse.urlparse(url).hostname or ""
        if self.allow_loopback and (host in ("localhost", "::1") or host.startswith("127.")):
            NETWORK["loopback"].append(url)
            req = urllib.request.Request(
                url, headers={"Accept": "application/ld+json, application/json, */*"}
            )
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.read(MAX_FETCH)
        NETWORK["refused"].append(url)
        raise OSError(f"offline: no local file for {url}")


def install_downloader(download):
    """Route every module-level default downloader of openbadgeslib to `download`."""
    import importlib

    patched = []
    for mod in (
        "openbadgeslib.util",
        "openbadgeslib.ob2.verifier",
        "openbadgeslib.ob3.did",
        "openbadgeslib.ob3.status",
        "openbadgeslib.ob3.eudi",
        "openbadgeslib.badge_model",
        "openbadgeslib.ob1.verifier",
        "openbadgeslib.ob1.badge",
    ):
        try:
            m = importlib.import_module(mod)
        except Exception:  # optional modules
            continue
        if hasattr(m, "download_file"):
            m.download_file = download
            patched.append(mod)
    return patched


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def classify(data, forced_ob):
    """Return (kind, ob_version) for the raw input bytes."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png", forced_ob
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if text.startswith("<"):
        return "svg", forced_ob
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            return "json", forced_ob or "3"
        types = doc.get("type", []) if isinstance(doc, dict) else []
        types = [types] if isinstance(types, str) else types
        if forced_ob:
            return "json", forced_ob
        if "VerifiableCredential" in types or "proof" in doc:
            return "json", "3"
        return "json", "2"
    if text.startswith("http://") or text.startswith("https://"):
        return "url", "2"
    if text.count(".") == 2:
        if forced_ob:
            return "jwt", forced_ob
        try:
            payload = b64url_json(text.split(".")[1])
        except Exception:
            return "jwt", "3"
        if isinstance(payload, dict) and "badge" in payload and "recipient" in payload:
            return "jwt", "2"
        return "jwt", "3"
    return "unknown", forced_ob


def detect_image_ob(data, kind):
    """For a baked image: '3' if an OB 3.0 carrier is present, else '2' if OB 2.0."""
    from openbadgeslib.ob2.verifier import OB2Verifier
    from openbadgeslib.ob3.verifier import OB3Verifier

    errors = []
    for ob, cls in (("3", OB3Verifier), ("2", OB2Verifier)):
        try:
            tok = cls.extract_token_from_png(data) if kind == "png" else cls.extract_token_from_svg(data)
            if tok:
                return ob, errors
        except Exception as exc:
            errors.append(f"OB{ob} extraction: {type(exc).__name__}: {exc}")
    return None, errors


def result_from_verify_result(vr):
    det = {
        "ob_version": vr.ob_version,
        "proof_format": vr.proof_format,
        "issuer_did": vr.issuer_did,
        "reason": vr.reason,
        "notices": list(vr.notices),
    }
    cred = vr.credential or vr.assertion
    if cred is not None:
        det["decoded"] = summarize(cred)
    return vr.valid, vr.trusted, det


def summarize(obj):
    out = {}
    for attr in ("id", "recipient_id", "issuance_date", "expiration_date", "badge"):
        v = getattr(obj, attr, None)
        if v is not None:
            out[attr] = str(v)
    iss = getattr(obj, "issuer", None)
    if iss is not None:
        out["issuer"] = getattr(iss, "id", str(iss))
    ver = getattr(obj, "verification", None)
    if ver is not None:
        out["verification_type"] = getattr(ver, "type", None)
    return out


def verify_image(data, kind, ob, a, download):
    from openbadgeslib.verify import verify_badge

    if ob is None:
        ob, errors = detect_image_ob(data, kind)
        if ob is None:
            return (
                False,
                False,
                {"reason": "openbadgeslib found no Open Badges payload: " + "; ".join(errors)},
                "extract_token_from_" + kind,
            )
    if ob == "2" and a.no_revocation_check:
        # verify_badge always checks the OB 2.0 revocation list; this path skips it
        from openbadgeslib.errors import ErrorParsingFile
        from openbadgeslib.ob2.verifier import OB2VerificationError, OB2Verifier

        try:
            tok = (
                OB2Verifier.extract_token_from_png(data)
                if kind == "png"
                else OB2Verifier.extract_token_from_svg(data)
            )
        except (OB2VerificationError, ErrorParsingFile) as exc:
            return (
                False,
                False,
                {"ob_version": "2", "reason": f"Could not extract OB2 token: {exc}"},
                "OB2Verifier.extract",
            )
        valid, trusted, det = verify_ob2_token(tok, a, download)
        return valid, trusted, det, "OB2Verifier.verify(check_revocation=False)"
    vr = verify_badge(
        data,
        ob,
        pubkey_pem=a.pubkey_pem,
        resolve_did=a.pubkey_pem is None,
        expected_recipient=a.recipient,
        check_status=a.check_status,
        verify_status_list=not a.no_verify_status_list,
        download=download,
        image_format=kind,
    )
    valid, trusted, det = result_from_verify_result(vr)
    return valid, trusted, det, f"verify_badge(ob_version={ob!r})"


def verify_ob3_text(text, is_ldp, a, download):
    """OB 3.0 VC-JWT or Data Integrity document, same trust model as verify_badge."""
    from openbadgeslib.ob3 import OB3LdpVerifier, OB3VerificationError, OB3Verifier
    from openbadgeslib.verify import issuer_did_from_document, issuer_did_from_token

    det = {"ob_version": "3", "proof_format": "ldp" if is_ldp else "vc-jwt"}
    trusted = True
    try:
        if a.pubkey_pem is not None:
            verifier = (
                OB3LdpVerifier(pubkey_pem=a.pubkey_pem) if is_ldp else OB3Verifier(pubkey_pem=a.pubkey_pem)
            )
        else:
            did = issuer_did_from_document(text) if is_ldp else issuer_did_from_token(text)
            det["issuer_did"] = did
            trusted = did.startswith("did:web:")
            verifier = (
                OB3LdpVerifier.for_issuer_did(did, download=download)
                if is_ldp
                else OB3Verifier.for_issuer_did(did, download=download)
            )
        cred = verifier.verify(
            text,
            expected_recipient=a.recipient,
            check_status=a.check_status,
            verify_status_list=not a.no_verify_status_list,
            download=download,
        )
    except OB3VerificationError as exc:
        det["reason"] = f"OB3 verification failed: {exc}"
        return False, False, det
    if not trusted:
        det["reason"] = (
            "signature is valid but verified against a key resolved from the "
            "credential's own did:key (self-asserted), not a trusted issuer key"
        )
    det["decoded"] = summarize(cred)
    return True, trusted, det


def verify_ob2_token(token, a, download):
    from openbadgeslib.ob2.verifier import OB2VerificationError, OB2Verifier

    det = {"ob_version": "2", "proof_format": "jws"}
    try:
        v = OB2Verifier(pubkey_pem=a.pubkey_pem, download=download)
        asrt = v.verify(token, expected_recipient=a.recipient, check_revocation=not a.no_revocation_check)
    except OB2VerificationError as exc:
        det["reason"] = f"OB2 verification failed: {exc}"
        return False, False, det
    trusted = asrt.verification.type == "HostedBadge" or a.pubkey_pem is not None
    if not trusted:
        det["reason"] = (
            "signature is internally consistent but verified against the "
            "badge-declared key, not a trusted issuer key"
        )
    det["decoded"] = summarize(asrt)
    return True, trusted, det


def verify_ob2_hosted(doc_text, a, download):
    from openbadgeslib.ob2.verifier import OB2VerificationError, OB2Verifier

    det = {"ob_version": "2", "proof_format": "hosted"}
    try:
        v = OB2Verifier(pubkey_pem=a.pubkey_pem, download=download)
        asrt = v.verify_hosted(
            doc_text, expected_recipient=a.recipient, check_revocation=not a.no_revocation_check
        )
    except OB2VerificationError as exc:
        det["reason"] = f"OB2 verification failed: {exc}"
        return False, False, det
    det["decoded"] = summarize(asrt)
    return True, True, det


def cmd_extract(path, forced_ob):
    """Print the payload openbadgeslib's own extractor finds in a baked image."""
    from openbadgeslib.ob2.verifier import OB2Verifier
    from openbadgeslib.ob3.verifier import OB3Verifier

    data = Path(path).read_bytes()
    kind, _ = classify(data, None)
    if kind not in ("png", "svg"):
        die("extract needs a PNG or SVG file")
    order = [("3", OB3Verifier), ("2", OB2Verifier)]
    if forced_ob:
        order = [x for x in order if x[0] == forced_ob]
    errors = []
    for ob, cls in order:
        try:
            tok = cls.extract_token_from_png(data) if kind == "png" else cls.extract_token_from_svg(data)
        except Exception as exc:  # report the library's own error
            errors.append({"ob_version": ob, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if tok:
            sys.stdout.write(tok)
            return 0
    print(json.dumps({"extracted": False, "errors": errors}), file=sys.stderr)
    return 1


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "extract":
        ap = argparse.ArgumentParser(prog="obl extract")
        ap.add_argument("file")
        ap.add_argument("--ob", choices=["2", "3"])
        a = ap.parse_args(argv[1:])
        return cmd_extract(a.file, a.ob)

    ap = argparse.ArgumentParser(
        prog="obl", description="Verify an Open Badge with openbadgeslib 4.6.3, offline."
    )
    ap.add_argument("file", help="baked PNG/SVG, JWT/JWS file, JSON file, or '-' for stdin")
    ap.add_argument(
        "--pubkey",
        help="trusted issuer public key (PEM); without it OB 3.0 "
        "resolves the issuer DID and OB 2.0 the badge creator key",
    )
    ap.add_argument("--recipient", help="expected recipient (email, mailto: URI or DID)")
    ap.add_argument("--ob", choices=["2", "3"], help="force the Open Badges version")
    ap.add_argument("--did-doc", action="append", default=[], metavar="DID=PATH")
    ap.add_argument("--doc", action="append", default=[], metavar="URL=PATH")
    ap.add_argument("--doc-prefix", action="append", default=[], metavar="PREFIX=DIR")
    ap.add_argument(
        "--allow-loopback",
        action="store_true",
        help="let fetches to 127.0.0.1/localhost go to the real (loopback) network",
    )
    ap.add_argument(
        "--check-status", action="store_true", help="OB 3.0: check credentialStatus (status list via --doc)"
    )
    ap.add_argument(
        "--no-verify-status-list",
        action="store_true",
        help="OB 3.0: with --check-status, do not verify the list's own signature",
    )
    ap.add_argument(
        "--no-revocation-check",
        action="store_true",
        help="OB 2.0: skip the RevocationList check (verify_badge always does it, "
        "which needs the BadgeClass and issuer Profile)",
    )
    ap.add_argument(
        "--select",
        metavar="KEY[.KEY...]",
        help="JSON input: verify the object at this key path (e.g. signedCredential)",
    )
    ap.add_argument(
        "--require-trusted",
        action="store_true",
        help="verdict also requires trusted=True (pinned key, did:web or hosted)",
    )
    a = ap.parse_args(argv)

    docs = {did_web_to_url(did): path for did, path in (split_pair(s, "--did-doc") for s in a.did_doc)}
    docs.update(split_pair(s, "--doc") for s in a.doc)
    prefixes = [split_pair(s, "--doc-prefix") for s in a.doc_prefix]
    download = OfflineDownloader(LocalDocuments(docs, prefixes), a.allow_loopback)

    import openbadgeslib

    install_downloader(download)
    a.pubkey_pem = Path(a.pubkey).read_bytes() if a.pubkey else None

    data = sys.stdin.buffer.read() if a.file == "-" else Path(a.file).read_bytes()
    if a.select:
        obj = json.loads(data.decode("utf-8").lstrip("\ufeff"))
        for k in a.select.split("."):
            if not isinstance(obj, dict) or k not in obj:
                die(f"--select: key {k!r} not found")
            obj = obj[k]
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    kind, ob = classify(data, a.ob)
    out = {
        "verified": False,
        "trusted": False,
        "tool": f"openbadgeslib {getattr(openbadgeslib, '__version__', '4.6.3')}",
        "input": a.file,
        "input_kind": kind,
        "api": None,
        "details": {},
    }
    try:
        if kind in ("png", "svg"):
            valid, trusted, det, api = verify_image(data, kind, ob, a, download)
        elif kind == "jwt":
            text = data.decode("utf-8").strip()
            if ob == "2":
                valid, trusted, det = verify_ob2_token(text, a, download)
                api = "OB2Verifier.verify"
            else:
                valid, trusted, det = verify_ob3_text(text, False, a, download)
                api = "OB3Verifier(.for_issuer_did).verify"
        elif kind == "json":
            text = data.decode("utf-8").lstrip("\ufeff")
            if ob == "2":
                valid, trusted, det = verify_ob2_hosted(text, a, download)
                api = "OB2Verifier.verify_hosted"
            else:
                valid, trusted, det = verify_ob3_text(text, True, a, download)
                api = "OB3LdpVerifier(.for_issuer_did).verify"
        elif kind == "url":
            url = data.decode("utf-8").strip()
            doc = download(url).decode("utf-8")
            valid, trusted, det = verify_ob2_hosted(doc, a, download)
            api = "OB2Verifier.verify_hosted (document fetched from the URL)"
        else:
            valid, trusted, det, api = (
                False,
                False,
                {"reason": "input is not PNG, SVG, JSON, JWT/JWS or URL"},
                None,
            )
    except Exception as exc:  # library crash: report, do not hide
        valid, trusted, det, api = (
            False,
            False,
            {"reason": f"exception: {type(exc).__name__}: {exc}"},
            locals().get("api"),
        )
        out["details"] = det
        out["api"] = api
        out["details"]["network"] = NETWORK
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
        return 2
    out["verified"] = bool(valid and (trusted or not a.require_trusted))
    out["trusted"] = bool(trusted)
    out["api"] = api
    out["details"] = det
    out["details"]["network"] = NETWORK
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0 if out["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
