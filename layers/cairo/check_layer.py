#!/usr/bin/env python3
"""Check a built cairo layer folder before it is deployed: will ``libcairo.so.2`` load on Lambda?

Usage::

    python3 check_layer.py LAYER_DIR [--runtime python3.13] [--arch arm64] [--glibc X.Y] [--json]

LAYER_DIR is what becomes ``/opt`` on Lambda: ``lib/`` (on ``LD_LIBRARY_PATH``) and ``fonts/``.
Rules, each reported with the files it concerns (exit status 1 if any fails, 2 for bad usage):

``layout``   ``lib/`` exists and holds every required library (``libcairo.so.2`` by default).
``elf``      every ``lib/*.so*`` is a readable ELF shared object.
``arch``     ... for the function's architecture (``arm64`` = AArch64, ``x86_64``).
``missing``  every ``DT_NEEDED`` library, followed recursively, is in ``lib/`` or is one of the
             runtime's base libraries (only glibc's are assumed, see ``BASE_LIBRARIES``).
``symlink``  no link in ``lib/`` points outside the layer (it would dangle under ``/opt``).
``glibc``    no library asks for a ``GLIBC_x.y`` symbol version newer than the runtime's glibc
             (``GLIBC_PRIVATE`` never: it ties a library to one glibc build).
``fonts``    ``fonts/fonts.conf`` and at least one font file (Lambda has no fonts).
``size``     the layer stays under Lambda's 250 MB unzipped limit (function and layers together).

The ELF reader is self-contained (no ``readelf``/``objdump`` needed) and reads what the dynamic
loader reads: the program headers, the ``PT_DYNAMIC`` segment, and the ``DT_VERNEED`` records.
Every length and count is checked against the file before it is used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = [
    "BASE_LIBRARIES",
    "RUNTIME_GLIBC",
    "ElfError",
    "ElfInfo",
    "Finding",
    "check_layer",
    "main",
    "read_elf",
]

#: glibc of each Lambda Python runtime's OS: Amazon Linux 2 (2.26) and Amazon Linux 2023 (2.34).
RUNTIME_GLIBC: dict[str, tuple[int, int]] = {
    "python3.9": (2, 26),
    "python3.10": (2, 26),
    "python3.11": (2, 26),
    "python3.12": (2, 34),
    "python3.13": (2, 34),
    "python3.14": (2, 34),
}

#: Libraries a runtime is assumed to provide: glibc's, and nothing else. Lambda's base images
#: carry more (zlib, OpenSSL …), but which ones is not documented; a layer that ships the rest
#: itself loads everywhere, and one copy more of a library from the same distribution is harmless.
BASE_LIBRARIES = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "libpthread.so.0",
        "librt.so.1",
        "libutil.so.1",
        "libresolv.so.2",
        "libanl.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
    }
)

#: ELF e_machine per Lambda architecture.
MACHINES = {"x86_64": 62, "arm64": 183}
#: Lambda's limit on a function plus all its layers, unzipped.
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
#: glibc version implied by a GLIBC_ABI_* marker (DT_RELR support arrived in 2.36).
_GLIBC_ABI = {"GLIBC_ABI_DT_RELR": (2, 36)}

_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME = 0, 1, 5, 10, 14
_DT_VERNEED, _DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
_ET_DYN = 3
#: Bounds on counts read from a file: far above any real library, far below a hang.
_MAX_HEADERS = 4096
_MAX_DYNAMIC = 65536
_MAX_VERNEED = 4096
_MAX_STRING = 4096
_SONAME_FILE = re.compile(r"^lib.*\.so(\.\d+)*$|^ld-linux.*\.so\.\d+$")
_GLIBC_VERSION = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")


class ElfError(ValueError):
    """The file is not an ELF shared object this checker can read; the message says why."""


@dataclass(frozen=True)
class ElfInfo:
    """What the dynamic loader needs to know about one shared object."""

    machine: int
    soname: str | None
    needed: tuple[str, ...]
    #: symbol version names required from other libraries, e.g. ("GLIBC_2.17", "GLIBC_2.34")
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """One failed rule: ``rule`` names it, ``path`` the file (relative to the layer)."""

    rule: str
    path: str
    message: str
    detail: dict[str, str] = field(default_factory=dict)


def read_elf(data: bytes) -> ElfInfo:
    """Parse an ELF shared object's dynamic section and version needs.

    Raises:
        ElfError: not ELF, not a shared object, or a header, table or string outside the file.
    """
    if len(data) < 16 or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    klass, encoding = data[4], data[5]
    if klass not in (1, 2) or encoding not in (1, 2):
        raise ElfError("unknown ELF class or byte order")
    wide = klass == 2
    order = "<" if encoding == 1 else ">"
    header = struct.Struct(order + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH"))
    if len(data) < 16 + header.size:
        raise ElfError("truncated ELF header")
    e_type, machine, _, _, phoff, _, _, _, phentsize, phnum, _, _, _ = header.unpack_from(data, 16)
    if e_type != _ET_DYN:
        raise ElfError("not a shared object (ET_DYN)")
    program = struct.Struct(order + ("IIQQQQQQ" if wide else "IIIIIIII"))
    if phnum > _MAX_HEADERS or phentsize < program.size or phoff + phnum * phentsize > len(data):
        raise ElfError("program headers outside the file")
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None
    for index in range(phnum):
        fields = program.unpack_from(data, phoff + index * phentsize)
        if wide:
            p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = fields
        else:
            p_type, p_offset, p_vaddr, _, p_filesz, _, _, _ = fields
        if p_type == _PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        raise ElfError("no PT_DYNAMIC segment (a static or non-loadable file)")
    entries = _dynamic_entries(data, dynamic, order, wide)

    def offset_of(vaddr: int) -> int:
        for start, file_offset, size in loads:
            if start <= vaddr < start + size:
                return vaddr - start + file_offset
        raise ElfError(f"address {vaddr:#x} is in no loaded segment")

    strtab = next((value for tag, value in entries if tag == _DT_STRTAB), None)
    strsz = next((value for tag, value in entries if tag == _DT_STRSZ), None)
    if strtab is None or strsz is None:
        raise ElfError("no dynamic string table")
    strings = offset_of(strtab)
    if strings + strsz > len(data):
        raise ElfError("dynamic string table outside the file")

    def string(offset: int) -> str:
        if offset >= strsz:
            raise ElfError("string offset outside the string table")
        end = data.find(b"\0", strings + offset, strings + min(strsz, offset + _MAX_STRING))
        if end < 0:
            raise ElfError("unterminated string")
        return data[strings + offset : end].decode("utf-8", "replace")

    needed = tuple(string(value) for tag, value in entries if tag == _DT_NEEDED)
    soname = next((string(value) for tag, value in entries if tag == _DT_SONAME), None)
    verneed = next((value for tag, value in entries if tag == _DT_VERNEED), None)
    count = next((value for tag, value in entries if tag == _DT_VERNEEDNUM), 0)
    versions = (
        () if verneed is None else tuple(_version_needs(data, offset_of(verneed), count, order, string))
    )
    return ElfInfo(machine=machine, soname=soname, needed=needed, versions=versions)


def _dynamic_entries(data: bytes, segment: tuple[int, int], order: str, wide: bool) -> list[tuple[int, int]]:
    offset, size = segment
    entry = struct.Struct(order + ("qQ" if wide else "iI"))
    if offset + size > len(data):
        raise ElfError("dynamic segment outside the file")
    entries: list[tuple[int, int]] = []
    for index in range(min(size // entry.size, _MAX_DYNAMIC)):
        tag, value = entry.unpack_from(data, offset + index * entry.size)
        if tag == _DT_NULL:
            break
        entries.append((tag, value))
    return entries


def _version_needs(
    data: bytes, offset: int, count: int, order: str, string: Callable[[int], str]
) -> Iterator[str]:
    """Version names from the Elf_Verneed/Elf_Vernaux chain (same layout in ELF32 and ELF64)."""
    need = struct.Struct(order + "HHIII")  # vn_version, vn_cnt, vn_file, vn_aux, vn_next
    aux = struct.Struct(order + "IHHII")  # vna_hash, vna_flags, vna_other, vna_name, vna_next
    for _ in range(min(count, _MAX_VERNEED)):
        if offset + need.size > len(data):
            raise ElfError("version needs outside the file")
        _, aux_count, _, aux_offset, next_offset = need.unpack_from(data, offset)
        position = offset + aux_offset
        for _ in range(min(aux_count, _MAX_VERNEED)):
            if position + aux.size > len(data):
                raise ElfError("version needs outside the file")
            _, _, _, name, aux_next = aux.unpack_from(data, position)
            yield string(name)
            if not aux_next:
                break
            position += aux_next
        if not next_offset:
            break
        offset += next_offset


def _glibc_needed(versions: tuple[str, ...]) -> tuple[tuple[int, int] | None, bool]:
    """(highest GLIBC version asked for, whether GLIBC_PRIVATE is asked for)."""
    highest: tuple[int, int] | None = None
    private = False
    for name in versions:
        if name == "GLIBC_PRIVATE":
            private = True
            continue
        match = _GLIBC_VERSION.match(name)
        version = (int(match.group(1)), int(match.group(2))) if match else _GLIBC_ABI.get(name)
        if version is not None and (highest is None or version > highest):
            highest = version
    return highest, private


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def check_layer(
    layer: Path,
    *,
    glibc: tuple[int, int],
    arch: str,
    required: tuple[str, ...] = ("libcairo.so.2",),
    fonts: bool = True,
) -> list[Finding]:
    """Every rule's failures for the layer folder ``layer`` (empty: it will load)."""
    findings: list[Finding] = []
    lib = layer / "lib"
    if not lib.is_dir():
        return [Finding("layout", "lib", "the layer has no lib/ directory (it must become /opt/lib)")]
    for name in required:
        if not (lib / name).exists():
            findings.append(Finding("layout", f"lib/{name}", f"{name} is required but not in lib/"))

    infos: dict[str, ElfInfo] = {}
    for path in sorted(lib.iterdir()):
        relative = f"lib/{path.name}"
        if path.is_symlink() and not _inside(path, layer):
            findings.append(
                Finding(
                    "symlink", relative, f"links to {os.readlink(path)}, outside the layer: it will dangle"
                )
            )
            continue
        if not _SONAME_FILE.match(path.name) or not path.is_file():
            continue
        try:
            info = read_elf(path.read_bytes())
        except (ElfError, OSError) as exc:
            findings.append(Finding("elf", relative, f"cannot be read as a shared library: {exc}"))
            continue
        infos[path.name] = info
        if info.machine != MACHINES[arch]:
            findings.append(Finding("arch", relative, f"is built for ELF machine {info.machine}, not {arch}"))
        highest, private = _glibc_needed(info.versions)
        if highest is not None and highest > glibc:
            wanted, have = ".".join(map(str, highest)), ".".join(map(str, glibc))
            findings.append(
                Finding(
                    "glibc",
                    relative,
                    f"needs GLIBC_{wanted}; the runtime has glibc {have}",
                    {"needs": wanted, "runtime": have},
                )
            )
        if private:
            findings.append(Finding("glibc", relative, "needs GLIBC_PRIVATE (tied to one glibc build)"))

    findings.extend(_missing(lib, infos, required))
    if fonts:
        findings.extend(_check_fonts(layer))
    total = sum(path.stat().st_size for path in layer.rglob("*") if path.is_file() and not path.is_symlink())
    if total > MAX_UNZIPPED_BYTES:
        findings.append(
            Finding("size", ".", f"{total} bytes unzipped; Lambda allows {MAX_UNZIPPED_BYTES} in all")
        )
    return findings


def _missing(lib: Path, infos: dict[str, ElfInfo], required: tuple[str, ...]) -> list[Finding]:
    """Walk DT_NEEDED from every library in lib/ (the roots and what they pull in)."""
    findings: list[Finding] = []
    reported: set[str] = set()
    queue = [*required, *sorted(infos)]
    seen: set[str] = set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        info = infos.get(name)
        if info is None:
            continue
        for needed in info.needed:
            if needed in BASE_LIBRARIES:
                continue
            if (lib / needed).exists() and needed in infos:
                queue.append(needed)
            elif needed not in reported:
                reported.add(needed)
                findings.append(
                    Finding(
                        "missing",
                        f"lib/{needed}",
                        f"{needed} is needed by {name} but is neither in lib/ nor a runtime base library",
                        {"needed_by": name},
                    )
                )
    return findings


def _check_fonts(layer: Path) -> list[Finding]:
    fonts = layer / "fonts"
    found: list[Finding] = []
    if not (fonts / "fonts.conf").is_file():
        found.append(
            Finding("fonts", "fonts/fonts.conf", "no fontconfig configuration (FONTCONFIG_PATH=/opt/fonts)")
        )
    if not any(path.suffix.lower() in (".ttf", ".otf") for path in fonts.glob("*")):
        found.append(Finding("fonts", "fonts", "no font files: text would not render on Lambda"))
    return found


def _parse_glibc(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a glibc version like 2.34: {text!r}")
    return int(match.group(1)), int(match.group(2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("layer", type=Path, metavar="LAYER_DIR")
    parser.add_argument("--runtime", default="python3.13", choices=sorted(RUNTIME_GLIBC))
    parser.add_argument("--arch", default="arm64", choices=sorted(MACHINES))
    parser.add_argument("--glibc", type=_parse_glibc, help="override the runtime's glibc version (X.Y)")
    parser.add_argument("--require", action="append", metavar="SONAME", help="required library (repeatable)")
    parser.add_argument("--no-fonts", action="store_true", help="skip the fonts rule")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    if not args.layer.is_dir():
        parser.error(f"{args.layer} is not a directory")
    glibc = args.glibc or RUNTIME_GLIBC[args.runtime]
    findings = check_layer(
        args.layer,
        glibc=glibc,
        arch=args.arch,
        required=tuple(args.require or ("libcairo.so.2",)),
        fonts=not args.no_fonts,
    )
    if args.json:
        print(json.dumps([asdict(finding) for finding in findings], indent=2))
    else:
        target = f"{args.runtime} (glibc {glibc[0]}.{glibc[1]}, {args.arch})"
        for finding in findings:
            print(f"FAIL {finding.rule}: {finding.path}: {finding.message}")
        libraries = sum(1 for _ in (args.layer / "lib").glob("*.so*")) if (args.layer / "lib").is_dir() else 0
        verdict = "ok" if not findings else f"{len(findings)} problem(s)"
        print(f"check_layer: {args.layer}: {libraries} libraries for {target}: {verdict}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
