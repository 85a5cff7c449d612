"""``badgekiln bake`` and ``badgekiln extract``: exit codes, exact output, atomic writes."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import badgekiln
from badgekiln.cli import main
from badgekiln.png import PNG_SIGNATURE


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


IHDR = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
PLAIN_PNG = PNG_SIGNATURE + IHDR + _chunk(b"IDAT", zlib.compress(b"\0\0")) + _chunk(b"IEND", b"")
BROKEN_PIXELS_PNG = PNG_SIGNATURE + IHDR + _chunk(b"IDAT", b"not zlib") + _chunk(b"IEND", b"")
PLAIN_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'
PAYLOAD = '{"name": "Teamwork ✓ 🎓",\n  "note": "  inner  spaces  ", "id": "https://example.org/a/1"}'


def itxt(text: bytes, keyword: bytes = b"openbadges", flag: int = 0) -> bytes:
    return _chunk(b"iTXt", keyword + b"\0" + bytes([flag]) + b"\0\0\0" + text)


def with_chunks(*chunks: bytes) -> bytes:
    return (
        PNG_SIGNATURE
        + IHDR
        + b"".join(chunks)
        + _chunk(b"IDAT", zlib.compress(b"\0\0"))
        + _chunk(b"IEND", b"")
    )


Runner = Callable[..., tuple[int, bytes, str]]


@pytest.fixture
def run(capsysbinary: pytest.CaptureFixture[bytes]) -> Runner:
    """Run the CLI in-process; return (exit code, stdout bytes, stderr text)."""

    def invoke(*argv: str, stdin: bytes | None = None) -> tuple[int, bytes, str]:
        if stdin is not None:
            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        finally:
            sys.stdin = sys.__stdin__
        out, err = capsysbinary.readouterr()
        return code, out, err.decode()

    return invoke


def _one_error_line(err: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err


# --- extract -----------------------------------------------------------------------------------


def test_extract_prints_the_payload_exactly(run: Runner, tmp_path: Path) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(with_chunks(itxt(f"  {PAYLOAD}\n".encode())))
    code, out, err = run("extract", str(image))
    assert (code, out, err) == (0, f"  {PAYLOAD}\n".encode(), "")


def test_extract_json(run: Runner, tmp_path: Path) -> None:
    image = tmp_path / "badge.svg"
    image.write_bytes(badgekiln.bake(PLAIN_SVG, PAYLOAD))
    code, out, _ = run("extract", "--json", str(image))
    assert code == 0
    assert out.endswith(b"\n")
    assert out.count(b"\n") == 1
    assert json.loads(out) == {"format": "svg", "spec": "ob2", "carrier": "svg:assertion", "payload": PAYLOAD}


def test_extract_reads_standard_input(run: Runner) -> None:
    code, out, _ = run("extract", "-", stdin=badgekiln.bake(PLAIN_PNG, "https://example.org/a/1"))
    assert (code, out) == (0, b"https://example.org/a/1")


def test_extract_without_badge_data_exits_1(run: Runner, tmp_path: Path) -> None:
    image = tmp_path / "plain.png"
    image.write_bytes(PLAIN_PNG)
    code, out, err = run("extract", str(image))
    assert (code, out) == (1, b"")
    assert err.startswith("no badge data:")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a....",
        PLAIN_PNG[:-5],  # truncated
        PLAIN_PNG[:-1] + bytes([PLAIN_PNG[-1] ^ 1]),  # bad CRC
        with_chunks(itxt(zlib.compress(b"{}"), flag=1)),  # compressed
        with_chunks(itxt(b"{}"), itxt(b"{}", b"openbadgecredential")),  # ambiguous
        with_chunks(_chunk(b"IDAT", b"x")[:8] + struct.pack(">I", 0xFFFFFFFF)),  # 4 GiB length
        b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',  # XXE
        b"<svg xmlns='http://www.w3.org/2000/svg'><g>",  # truncated SVG
    ],
    ids=["empty", "gif", "truncated", "crc", "compressed", "ambiguous", "length", "xxe", "truncated-svg"],
)
def test_extract_bad_input_exits_2_with_one_error_line(run: Runner, tmp_path: Path, data: bytes) -> None:
    image = tmp_path / "bad"
    image.write_bytes(data)
    code, out, err = run("extract", str(image))
    assert (code, out) == (2, b"")
    _one_error_line(err)


def test_extract_missing_file(run: Runner, tmp_path: Path) -> None:
    code, _, err = run("extract", str(tmp_path / "nope.png"))
    assert code == 2
    _one_error_line(err)


# --- bake --------------------------------------------------------------------------------------


@pytest.mark.parametrize("original", [PLAIN_PNG, PLAIN_SVG], ids=["png", "svg"])
def test_bake_writes_the_file(run: Runner, tmp_path: Path, original: bytes) -> None:
    image, out = tmp_path / "in", tmp_path / "out"
    image.write_bytes(original)
    code, stdout, err = run("bake", str(image), "--payload", PAYLOAD, "-o", str(out))
    assert (code, stdout, err) == (0, b"", "")
    assert out.read_bytes() == badgekiln.bake(original, PAYLOAD)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]  # no temporary file left


def test_bake_payload_file_with_bom_and_newline(run: Runner, tmp_path: Path) -> None:
    image, payload, out = tmp_path / "in.png", tmp_path / "cred.json", tmp_path / "out.png"
    image.write_bytes(PLAIN_PNG)
    payload.write_bytes(b"\xef\xbb\xbf" + PAYLOAD.encode() + b"\n")
    assert run("bake", str(image), "--payload-file", str(payload), "-o", str(out))[0] == 0
    assert badgekiln.extract(out.read_bytes()).payload == PAYLOAD


def test_bake_to_standard_output_from_standard_input(run: Runner) -> None:
    code, out, _ = run("bake", "-", "--payload", PAYLOAD, "--spec", "ob3", "-o", "-", stdin=PLAIN_PNG)
    assert code == 0
    assert badgekiln.extract(out).carrier == "iTXt:openbadgecredential"


def test_bake_refuses_to_overwrite_without_force(run: Runner, tmp_path: Path) -> None:
    image, out = tmp_path / "in.png", tmp_path / "out.png"
    image.write_bytes(PLAIN_PNG)
    out.write_bytes(b"precious")
    code, _, err = run("bake", str(image), "--payload", PAYLOAD, "-o", str(out))
    assert code == 2
    assert "--force" in err
    _one_error_line(err)
    assert out.read_bytes() == b"precious"
    assert run("bake", str(image), "--payload", PAYLOAD, "-o", str(out), "--force")[0] == 0
    assert badgekiln.extract(out.read_bytes()).payload == PAYLOAD


def test_bake_check_pixels(run: Runner, tmp_path: Path) -> None:
    good, bad, svg, out = (tmp_path / n for n in ("good.png", "bad.png", "a.svg", "out"))
    good.write_bytes(PLAIN_PNG)
    bad.write_bytes(BROKEN_PIXELS_PNG)
    svg.write_bytes(PLAIN_SVG)
    assert run("bake", str(good), "--payload", PAYLOAD, "-o", str(out), "--check-pixels")[0] == 0
    for image in (bad, svg):
        code, _, err = run(
            "bake", str(image), "--payload", PAYLOAD, "-o", str(tmp_path / "x"), "--check-pixels"
        )
        assert code == 2
        _one_error_line(err)
    assert run("bake", str(bad), "--payload", PAYLOAD, "-o", str(tmp_path / "y"))[0] == 0  # chunk level only


@pytest.mark.parametrize(
    ("args", "payload_file"),
    [
        (["--payload", "https://example.org/a/1", "--spec", "ob3"], None),  # no URL in OB 3.0
        (["--payload", "not a payload"], None),
        (["--payload-file", "{file}"], b"\xff\xfe{}"),  # not UTF-8
        (["--payload-file", "{file}"], b" \n"),  # empty
        (["--payload", "x", "--payload-file", "{file}"], b"{}"),  # both sources
        ([], None),  # no payload at all
        (["--payload", "{}", "--spec", "ob4"], None),
    ],
)
def test_bake_refusals_exit_2(
    run: Runner, tmp_path: Path, args: list[str], payload_file: bytes | None
) -> None:
    image, source = tmp_path / "in.png", tmp_path / "payload"
    image.write_bytes(PLAIN_PNG)
    if payload_file is not None:
        source.write_bytes(payload_file)
    argv = [a.replace("{file}", str(source)) for a in args]
    code, _, err = run("bake", str(image), *argv, "-o", str(tmp_path / "out.png"))
    assert code == 2
    _one_error_line(err)
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize(
    "image",
    [
        PLAIN_PNG.replace(struct.pack(">II", 1, 1), struct.pack(">II", 50_000, 50_000)),  # a pixel bomb
        PLAIN_PNG[:33] + _chunk(b"zzZz", bytes(16 * 1024 * 1024)) + PLAIN_PNG[33:],  # over 16 MiB
    ],
    ids=["dimensions", "bytes"],
)  # fmt: skip
def test_bake_refuses_oversized_images_with_exit_2(run: Runner, tmp_path: Path, image: bytes) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(image)
    code, _, err = run("bake", str(source), "--payload", "{}", "-o", str(tmp_path / "out.png"))
    assert code == 2
    _one_error_line(err)
    assert "pixels" in err or "bake takes at most" in err  # the library's caps, not the CLI's read cap
    assert not (tmp_path / "out.png").exists()


def test_bake_refuses_two_standard_inputs(run: Runner, tmp_path: Path) -> None:
    code, _, err = run("bake", "-", "--payload-file", "-", "-o", str(tmp_path / "out"), stdin=PLAIN_PNG)
    assert code == 2
    _one_error_line(err)


def test_help_lists_both_commands(run: Runner) -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert b"bake" in out
    assert b"extract" in out


def test_real_process_round_trip(tmp_path: Path) -> None:
    # GIVEN the installed console entry point, run as a separate process with pipes
    baked = subprocess.run(
        [sys.executable, "-m", "badgekiln", "bake", "-", "--payload", PAYLOAD, "-o", "-"],
        input=PLAIN_PNG,
        capture_output=True,
        check=True,
    ).stdout
    found = subprocess.run(
        [sys.executable, "-m", "badgekiln", "extract", "-"], input=baked, capture_output=True, check=False
    )
    # THEN the payload comes back byte for byte, and a hostile input gives one error line
    assert (found.returncode, found.stdout, found.stderr) == (0, PAYLOAD.encode(), b"")
    bad = subprocess.run(
        [sys.executable, "-m", "badgekiln", "extract", "-"],
        input=baked[:-3],
        capture_output=True,
        check=False,
    )
    assert bad.returncode == 2
    _one_error_line(bad.stderr.decode())
