"""``badgekiln render IN.svg -o OUT.png [--size N] [--data JSON] [--force]``."""

from __future__ import annotations

import json
from pathlib import Path

import png as pypng
import pytest

from badgekiln.cli import EXIT_INPUT, EXIT_OK, main

TEMPLATE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
    b'<rect width="200" height="100" fill="#234"/>'
    b'<text x="10" y="60" font-size="20" fill="white">{{recipient_name}}</text></svg>'
)


def size_of(path: Path) -> tuple[int, int]:
    width, height, _, _ = pypng.Reader(filename=str(path)).read()
    return width, height


@pytest.fixture
def badge(tmp_path: Path) -> Path:
    path = tmp_path / "badge.svg"
    path.write_bytes(TEMPLATE)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(err: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err


def test_renders_at_the_svgs_size(badge: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_png = badge.with_suffix(".png")
    assert run(capsys, "render", str(badge), "-o", str(out_png)) == (EXIT_OK, "", "")
    assert size_of(out_png) == (200, 100)


def test_size_sets_the_longer_side(badge: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_png = badge.with_suffix(".png")
    assert run(capsys, "render", str(badge), "-o", str(out_png), "--size", "512")[0] == EXIT_OK
    assert size_of(out_png) == (512, 256)


def test_data_personalises_the_template(
    badge: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"recipient_name": "Grace Hopper"}))
    plain, inline, from_file = tmp_path / "plain.png", tmp_path / "inline.png", tmp_path / "file.png"
    assert run(capsys, "render", str(badge), "-o", str(plain))[0] == EXIT_OK
    assert run(capsys, "render", str(badge), "-o", str(inline), "--data", values.read_text())[0] == EXIT_OK
    assert run(capsys, "render", str(badge), "-o", str(from_file), "--data", f"@{values}")[0] == EXIT_OK
    assert inline.read_bytes() == from_file.read_bytes() != plain.read_bytes()
    # a BOM is an editor's mark; bytes that are not UTF-8 are one error line
    values.write_bytes(b"\xef\xbb\xbf" + values.read_bytes())
    assert (
        run(capsys, "render", str(badge), "-o", str(from_file), "--data", f"@{values}", "--force")[0]
        == EXIT_OK
    )
    assert inline.read_bytes() == from_file.read_bytes()
    values.write_bytes(b'{"recipient_name": "\xff"}')
    code, _, err = run(capsys, "render", str(badge), "-o", "-", "--data", f"@{values}")
    assert code == EXIT_INPUT
    assert err == f"error: {values} is not UTF-8 (byte 20)\n"


def test_standard_output(badge: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["render", str(badge), "-o", "-", "--size", "20"]) == EXIT_OK
    out = capsysbinary.readouterr().out
    width, height, _, _ = pypng.Reader(bytes=out).read()
    assert (width, height) == (20, 10)


def test_an_existing_output_needs_force(badge: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_png = badge.with_suffix(".png")
    out_png.write_bytes(b"keep me")
    code, _, err = run(capsys, "render", str(badge), "-o", str(out_png))
    assert code == EXIT_INPUT
    assert_one_error_line(err)
    assert out_png.read_bytes() == b"keep me"
    assert run(capsys, "render", str(badge), "-o", str(out_png), "--force")[0] == EXIT_OK
    assert size_of(out_png) == (200, 100)


@pytest.mark.parametrize(
    ("content", "extra"),
    [
        (b"not xml", ()),
        (b"<html/>", ()),
        (
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"/>',
            (),
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><image href="http://127.0.0.1:9/"/></svg>',
            (),
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="9"/>', ()),
        (TEMPLATE, ("--data", "{not json")),
        (TEMPLATE, ("--data", '["recipient_name"]')),
        (TEMPLATE, ("--data", "[" * 100_000)),
        (TEMPLATE, ("--data", '{"recipient_name": 7}')),
        (TEMPLATE, ("--data", '{"nickname": "x"}')),
        (TEMPLATE, ("--data", "{}")),
        (TEMPLATE, ("--data", "@/nonexistent/values.json")),
        (TEMPLATE, ("--size", "5000")),
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, extra: tuple[str, ...]
) -> None:
    source, out_png = tmp_path / "in.svg", tmp_path / "out.png"
    source.write_bytes(content)
    code, _, err = run(capsys, "render", str(source), "-o", str(out_png), *extra)
    assert code == EXIT_INPUT
    assert_one_error_line(err)
    assert not out_png.exists()


@pytest.mark.parametrize("size", ["0", "-3", "ten", "1.5"])
def test_a_bad_size_is_a_usage_error(badge: Path, capsys: pytest.CaptureFixture[str], size: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["render", str(badge), "-o", str(badge.with_suffix(".png")), "--size", size])
    assert caught.value.code == EXIT_INPUT
    assert_one_error_line(capsys.readouterr().err)


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "render", str(tmp_path / "nope.svg"), "-o", str(tmp_path / "o.png"))
    assert code == EXIT_INPUT
    assert_one_error_line(err)
