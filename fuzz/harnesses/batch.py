"""CSV / JSON Lines batch rows: ``issue.read_rows`` and each row's request through ``issue_batch``.

The first byte picks the format (even: CSV, odd: JSON Lines); the rest is the file, decoded as
the request and upload paths decode it (UTF-8 with an optional BOM; bytes that are not UTF-8 are
refused there before any row is read, so such a case ends here too). Every row goes through
``issue_batch`` against an empty store: the row is parsed and its request validated, then issuing
stops at the achievement lookup (``NotFound``), which keeps the harness at parser speed. Issuing
for real, signatures and stored documents included, is what the ``handler-issue`` and
``handler-worker`` harnesses do. Each row's result must serialise as the worker writes it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from badgekiln.issue import issue_batch, read_rows
from badgekiln.store import LocalStore
from fuzz.harnesses.seeds import EVENTS, scratch

__all__ = ["make_target", "seeds"]

_STORE: list[LocalStore] = []


def setup(variant: str) -> None:
    _STORE.append(LocalStore(str(scratch("batch-store"))))


def make_target(variant: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        if not data:
            return
        if not _STORE:
            setup(variant)
        fmt: Literal["csv", "jsonl"] = "jsonl" if data[0] % 2 else "csv"
        try:
            text = data[1:].decode("utf-8-sig")
        except UnicodeDecodeError:
            return
        rows = read_rows(io.StringIO(text, newline=""), fmt=fmt)
        for result in issue_batch(_STORE[0], "acme", {"achievement": "teamwork"}, rows):
            line = json.dumps(result.to_dict(), ensure_ascii=False, separators=(",", ":"))
            line.encode("utf-8")

    return target


_CSV = '''recipient,recipient_type,hashed,name,evidence,narrative,valid_until,idempotency_key,credential_id
ada@example.org,email,true,Ada,https://ada.example/work,Led the team,2099-01-01T00:00:00Z,row-1,ada-1
not-an-email,,,Bob,,,,row-2,
https://cy.example/,url,no,Cy,ftp://bad,,tomorrow,,
"dee@example.org","email","false","Dee, Jr.",,"Said ""hi""",2099-01-01T00:00:00+01:00,row-4,dee
+15555550100,telephone,1,Eve,,,,,
did:example:fay,id,0,Fay,,,,,
'''
_JSONL = [
    {"recipient": "ada@example.org", "name": "Ada", "hashed": True, "valid_until": "2099-01-01T00:00:00Z"},
    {"recipient": "bob@example.org", "evidence": [{"id": "https://bob.example/", "narrative": "Built it"}]},
    {"recipient": "cy@example.org", "surprise": 1},
    {"recipient": "\ud800@example.org"},
    {"recipient": "dee@example.org", "hashed": "perhaps", "idempotency_key": 7},
    [1, 2],
]


def seeds(variant: str) -> Iterator[tuple[str, bytes]]:
    yield "made/all-columns.csv", b"\x00" + _CSV.encode("utf-8")
    yield "made/bom.csv", b"\x00\xef\xbb\xbf" + _CSV.encode("utf-8")
    lines = "\n".join(json.dumps(row) for row in _JSONL) + "\n"
    yield "made/rows.jsonl", b"\x01" + lines.encode("utf-8")
    for path in sorted(Path(EVENTS).glob("issue-batch*.json")):
        event = json.loads(path.read_text("utf-8"))
        yield path.name, b"\x00" + event["body"].encode("utf-8")
