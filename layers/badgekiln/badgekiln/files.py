"""Reading inputs with a cap and writing outputs atomically (temporary file + rename)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from badgekiln.errors import InputError, InputTooLarge

__all__ = ["DEFAULT_READ_LIMIT", "atomic_write", "read_input"]

#: Largest input file the CLI reads (bytes). A baked badge is rarely over a few MB; 64 MiB leaves
#: room for print-resolution PNGs while bounding memory on hostile input.
DEFAULT_READ_LIMIT = 64 * 1024 * 1024


def read_input(source: str, *, limit: int = DEFAULT_READ_LIMIT) -> bytes:
    """Read a whole file, or standard input when ``source`` is ``-``, refusing more than ``limit``.

    Raises:
        InputError: the file cannot be opened or read.
        InputTooLarge: it holds more than ``limit`` bytes.
    """
    try:
        if source == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}", path=source) from exc
    if len(data) > limit:
        raise InputTooLarge(f"{source} is larger than {limit} bytes", path=source, limit=limit)
    return data


def atomic_write(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never a part.

    The bytes go to a temporary file in the same directory, are flushed to disk, and are renamed
    over the target. Without ``overwrite`` an existing target is refused (checked with a
    no-replace link, so two writers cannot both win).

    Raises:
        InputError: the target exists (without ``overwrite``) or cannot be written.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not overwrite and target.exists():
        raise InputError(f"{target} exists; use --force to overwrite", path=str(target))
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}", path=str(target)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        if overwrite:
            os.replace(tmp_name, target)
        else:
            # link() fails if the target appeared meanwhile: no silent overwrite in a race.
            os.link(tmp_name, target)
            os.unlink(tmp_name)
    except FileExistsError as exc:
        raise InputError(f"{target} exists; use --force to overwrite", path=str(target)) from exc
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}", path=str(target)) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
