"""A store in a local directory: the embedded default for ``badgekiln serve`` and the CLI.

Each object is one file, ``<root>/<key>~obj``: a magic line, a one-line JSON header (ETag, size,
content type, cache control, metadata) and the body. Body and headers live in the same file, so
one ``rename`` replaces both together and no reader (nor a crash) can pair a body with another
version's headers. ``~`` never occurs in keys, so object files cannot collide with the
directories of longer keys (``public/a`` beside ``public/a/b``).

Writes go to a temporary file in the target's directory, are fsynced, renamed over the target
(``link`` for create-only, which fails if the name exists) and the directory is fsynced. Every
write of a key holds an exclusive ``flock`` on ``<root>/.locks/<sha256(key)>.lock`` while it
checks its precondition and renames, so compare-and-swap is safe across threads and processes.
Readers take no lock: a rename is atomic, so they see the old file or the new one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import random
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

from badgekiln.errors import Conflict, NotFound, StoreError
from badgekiln.store.base import (
    MAX_KEY_DEPTH,
    MAX_OBJECT_BYTES,
    PRIVATE,
    PUBLIC,
    ObjectInfo,
    ObjectRange,
    Store,
    StoredObject,
    Write,
    normalise_etag,
)

__all__ = ["LOCK_TIMEOUT", "LocalStore"]

#: First line of every object file; a file without it is not ours (or is damaged).
_MAGIC = b"badgekiln-object/1\n"
#: Longest header line: metadata is capped at 2 KB, the rest is short; bounds the read.
_MAX_HEADER = 8192
_OBJECT_SUFFIX = "~obj"
_TEMP_SUFFIX = "~tmp"
_LOCK_DIR = ".locks"
#: Longest wait for a key's lock (seconds). Writers hold it for one small write, so reaching this
#: means a stuck process; fail rather than hang the request forever.
LOCK_TIMEOUT = 30.0
#: Polling interval ceiling while waiting for a lock (seconds): short, as locks are held briefly.
_LOCK_POLL_MAX = 0.02


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalStore(Store):
    """Objects as files under ``root`` (created, mode 0700, on first write).

    Example::

        store = LocalStore("./.badgekiln/store")
        etag = store.create("public/issuers/acme.json", b"{}", content_type="application/ld+json")
    """

    def __init__(self, root: str | os.PathLike[str], *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(root).absolute()
        self._lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    # --- paths and files --------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / (key + _OBJECT_SUFFIX)

    def _fail(self, action: str, key: str, exc: OSError) -> StoreError:
        return StoreError(
            f"cannot {action} {key!r} in {self.root}: {exc.strerror or exc}",
            key=key,
            reason="io",
            errno=exc.errno,
        )

    def _open(self, key: str) -> int | None:
        try:
            # O_NOFOLLOW: an object file is never a symlink; refuse one planted in the tree.
            return os.open(self._path(key), os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as exc:
            raise self._fail("read", key, exc) from exc

    def _parse_header(self, key: str, head: bytes) -> tuple[ObjectInfo, int]:
        """Decode the magic and header at the start of ``head``; return it and the body offset."""
        corrupt = StoreError(f"stored object {key!r} is damaged", key=key, reason="corrupt")
        if not head.startswith(_MAGIC):
            raise corrupt
        end = head.find(b"\n", len(_MAGIC))
        if end < 0:
            raise corrupt
        try:
            header: Any = json.loads(head[len(_MAGIC) : end])
        except (ValueError, RecursionError) as exc:  # RecursionError: nested past the parser
            raise corrupt from exc
        if not isinstance(header, dict):
            raise corrupt
        etag, size = header.get("etag"), header.get("size")
        content_type, cache_control = header.get("content_type"), header.get("cache_control")
        metadata = header.get("metadata")
        if not (
            isinstance(etag, str)
            and isinstance(size, int)
            and 0 <= size <= MAX_OBJECT_BYTES
            and isinstance(content_type, str)
            and (cache_control is None or isinstance(cache_control, str))
            and isinstance(metadata, dict)
            and all(isinstance(v, str) for v in metadata.values())
        ):
            raise corrupt
        info = ObjectInfo(
            key=key,
            etag=etag,
            size=size,
            content_type=content_type,
            cache_control=cache_control,
            metadata=MappingProxyType(dict(metadata)),
        )
        return info, end + 1

    def _read_info(self, key: str) -> ObjectInfo | None:
        fd = self._open(key)
        if fd is None:
            return None
        try:
            head = os.read(fd, len(_MAGIC) + _MAX_HEADER + 1)
        except OSError as exc:
            raise self._fail("read", key, exc) from exc
        finally:
            os.close(fd)
        return self._parse_header(key, head)[0]

    def _current(self, key: str, *, conditional: bool) -> ObjectInfo | None:
        """The stored version, for a writer holding the lock.

        A damaged object fails a conditional write (its version is unknown) but an unconditional
        put or delete may replace it, so a damaged key can always be repaired.
        """
        try:
            return self._read_info(key)
        except StoreError as exc:
            if conditional or exc.reason != "corrupt":
                raise
            return ObjectInfo(key=key, etag="", size=0, content_type="")

    # --- reads ------------------------------------------------------------------------------

    def _get(self, key: str) -> StoredObject:
        # its bytes are checked against the stored hash: a damaged file is reason="corrupt"
        fd = self._open(key)
        if fd is None:
            raise NotFound(f"no object under {key!r}", key=key)
        try:
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(len(_MAGIC) + _MAX_HEADER + MAX_OBJECT_BYTES + 1)
        except OSError as exc:
            raise self._fail("read", key, exc) from exc
        info, offset = self._parse_header(key, data[: len(_MAGIC) + _MAX_HEADER + 1])
        body = data[offset:]
        if len(body) != info.size or _etag(body) != info.etag:
            raise StoreError(f"stored object {key!r} is damaged", key=key, reason="corrupt")
        return StoredObject(**info.fields(), body=body)

    def _get_range(self, key: str, start: int, length: int) -> ObjectRange:
        # the header, then only the range (pread: one descriptor, so one version of the file);
        # unlike _get the bytes cannot be checked against the hash, only against the size
        fd = self._open(key)
        if fd is None:
            raise NotFound(f"no object under {key!r}", key=key)
        try:
            info, offset = self._parse_header(key, os.pread(fd, len(_MAGIC) + _MAX_HEADER + 1, 0))
            wanted = max(0, min(length, info.size - start))
            body = os.pread(fd, wanted, offset + start) if wanted else b""
        except OSError as exc:
            raise self._fail("read", key, exc) from exc
        finally:
            os.close(fd)
        if len(body) != wanted:
            raise StoreError(f"stored object {key!r} is damaged", key=key, reason="corrupt")
        return ObjectRange(**info.fields(), start=start, body=body)

    def _head(self, key: str) -> ObjectInfo:
        info = self._read_info(key)
        if info is None:
            raise NotFound(f"no object under {key!r}", key=key)
        return info

    def _list(self, prefix: str) -> Iterator[str]:
        directory, _, start = prefix.rpartition("/")
        base = f"{directory}/" if directory else ""
        yield from self._walk(self.root / directory if directory else self.root, base, start, base.count("/"))

    def _walk(self, directory: Path, base: str, start: str, depth: int) -> Iterator[str]:
        if depth > MAX_KEY_DEPTH:
            return
        try:
            with os.scandir(directory) as entries:
                found = list(entries)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise self._fail("list", base, exc) from exc
        # Sort as the keys sort: a directory stands for "name/…", an object file for "name". Each
        # subtree is then a contiguous run of keys, so this depth-first walk yields them in order.
        names: list[tuple[str, os.DirEntry[str]]] = []
        for entry in found:
            if entry.is_dir(follow_symlinks=False):
                names.append((entry.name + "/", entry))
            elif entry.name.endswith(_OBJECT_SUFFIX) and entry.is_file(follow_symlinks=False):
                names.append((entry.name.removesuffix(_OBJECT_SUFFIX), entry))
        for name, entry in sorted(names, key=lambda item: item[0]):
            if not name.startswith(start):
                continue
            key = base + name
            if name.endswith("/"):
                # Only the two namespaces live at the top; skips .locks and anything foreign.
                if depth == 0 and key not in (PUBLIC, PRIVATE):
                    continue
                yield from self._walk(Path(entry.path), key, "", depth + 1)
            else:
                yield key  # Store.list drops a foreign file whose name is no key

    # --- writes -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        locks = self.root / _LOCK_DIR
        try:
            # The root first, so it (not just .locks) is private: it holds private keys.
            os.makedirs(self.root, mode=0o700, exist_ok=True)
            os.makedirs(locks, mode=0o700, exist_ok=True)
            fd = os.open(
                locks / (hashlib.sha256(key.encode()).hexdigest() + ".lock"),
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW,
                0o600,
            )
        except OSError as exc:
            raise self._fail("lock", key, exc) from exc
        try:
            deadline = time.monotonic() + self._lock_timeout
            ceiling = 0.001
            while True:
                try:
                    # Each open() is its own open file description, so flock excludes other
                    # threads of this process as well as other processes.
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                        raise self._fail("lock", key, exc) from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"timed out after {self._lock_timeout:g} s waiting for the lock on {key!r}",
                        key=key,
                        reason="lock-timeout",
                    )
                time.sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret
                ceiling = min(ceiling * 2, _LOCK_POLL_MAX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _check(self, key: str, current: ObjectInfo | None, if_match: str | None, if_none_match: bool) -> None:
        if if_none_match and current is not None:
            raise Conflict(f"an object already exists under {key!r}", key=key, reason="exists")
        if if_match is not None:
            if current is None:
                raise Conflict(f"no object under {key!r} to replace", key=key, reason="gone")
            if normalise_etag(current.etag) != normalise_etag(if_match):
                raise Conflict(
                    f"{key!r} changed since it was read (ETag {current.etag}, expected {if_match})",
                    key=key,
                    reason="etag",
                )

    def _put(self, write: Write) -> str:
        # the ETag is the quoted SHA-256 of the body; a lock that stays held is "lock-timeout"
        key = write.key
        etag = _etag(write.body)
        header = {
            "etag": etag,
            "size": len(write.body),
            "content_type": write.content_type,
            "cache_control": write.cache_control,
            "metadata": dict(write.metadata),
        }
        data = _MAGIC + json.dumps(header, separators=(",", ":")).encode() + b"\n" + write.body
        target = self._path(key)
        with self._locked(key):
            current = self._current(key, conditional=write.if_match is not None or write.if_none_match)
            self._check(key, current, write.if_match, write.if_none_match)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._write(target, data, replace=current is not None)
            except FileExistsError as exc:
                # Only reachable if something outside the store's lock created the file.
                raise Conflict(f"an object already exists under {key!r}", key=key, reason="exists") from exc
            except OSError as exc:
                raise self._fail("write", key, exc) from exc
        return etag

    @staticmethod
    def _write(target: Path, data: bytes, *, replace: bool) -> None:
        temp = target.parent / f".tmp-{secrets.token_hex(8)}{_TEMP_SUFFIX}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            if replace:
                os.replace(temp, target)
            else:
                # link() refuses an existing name: create-only even against foreign writers.
                os.link(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        _fsync_dir(target.parent)

    def _delete(self, key: str, if_match: str | None) -> None:
        with self._locked(key):
            current = self._current(key, conditional=if_match is not None)
            self._check(key, current, if_match, False)
            if current is None:
                return
            path = self._path(key)
            try:
                os.unlink(path)
                _fsync_dir(path.parent)
            except FileNotFoundError:
                return
            except OSError as exc:
                raise self._fail("delete", key, exc) from exc
