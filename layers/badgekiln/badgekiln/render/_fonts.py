"""Point fontconfig at the bundled font before cairo first lays out text.

Lambda has no fonts and no ``/etc/fonts``: without this, text renders in cairo's built-in
fallback (or not at all). fontconfig reads ``FONTCONFIG_FILE`` once, when cairo first needs a
font, so this must run before the first render in the process.
"""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from pathlib import Path

from badgekiln.errors import InputError, RenderError
from badgekiln.files import atomic_write

__all__ = ["BUNDLED_FAMILY", "CONFIG_TEMPLATE", "FONTS_DIR", "configure_fonts", "render_config"]

_ASSETS = Path(__file__).resolve().with_name("assets")
#: DejaVu Sans regular and bold (see assets/fonts/LICENSE-DejaVu.txt).
FONTS_DIR = _ASSETS / "fonts"
#: fontconfig configuration with ``@FONTS_DIR@`` / ``@CACHE_DIR@`` markers (layers/cairo uses it too).
CONFIG_TEMPLATE = _ASSETS / "fonts.conf"
#: The one family text renders in; every other family falls back to it.
BUNDLED_FAMILY = "DejaVu Sans"


def _escape(text: str) -> str:
    # xml.sax.saxutils.escape would do, but importing it pulls in urllib.request (~17 ms)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_config(fonts_dir: str | os.PathLike[str], cache_dir: str | os.PathLike[str]) -> str:
    """The bundled fontconfig configuration with its two paths filled in."""
    text = CONFIG_TEMPLATE.read_text(encoding="utf-8")
    return text.replace("@FONTS_DIR@", _escape(os.fspath(fonts_dir))).replace(
        "@CACHE_DIR@", _escape(os.fspath(cache_dir))
    )


def configure_fonts() -> None:
    """Make fontconfig use only the bundled font, unless the environment configures it already.

    An operator's ``FONTCONFIG_FILE``, or a ``FONTCONFIG_PATH`` directory that holds a
    ``fonts.conf`` (the cairo layer's ``/opt/fonts``), is kept. Otherwise, including when
    ``FONTCONFIG_PATH`` names a directory that is not there (``badgekiln serve`` runs the template's
    Lambda environment on a laptop), ``FONTCONFIG_FILE`` points at the bundled configuration,
    written once per process to a private directory under the temporary directory with the font
    cache beside it. Cheap enough to call before every render, which it is: the environment a
    handler sees can change between invocations, and fontconfig reads it at its first text.

    Raises:
        RenderError: the configuration cannot be written (``reason="fonts"``).
    """
    if os.environ.get("FONTCONFIG_FILE"):
        return
    directory = os.environ.get("FONTCONFIG_PATH")
    if directory and (Path(directory) / "fonts.conf").is_file():
        return
    os.environ["FONTCONFIG_FILE"] = _bundled_config()


@functools.cache  # once per process; an exception is not cached, so a failure is retried
def _bundled_config() -> str:
    """Write the bundled configuration (if it differs) and return its path.

    Raises:
        RenderError: it cannot be written (``reason="fonts"``).
    """
    directory = _private_directory()
    config = directory / "fonts.conf"
    text = render_config(FONTS_DIR, directory / "cache").encode()
    try:
        current = config.read_bytes() if config.is_file() else None
        if current != text:
            atomic_write(config, text, overwrite=True)
    except (OSError, InputError) as exc:
        raise RenderError(f"cannot write the font configuration: {exc}", reason="fonts") from exc
    return str(config)


def _private_directory() -> Path:
    """A directory only this user can write, reused across processes so the font cache is too.

    A shared temporary directory may hold a same-named entry planted by another user; then a
    fresh directory is made instead (the cache is rebuilt, in a few milliseconds).
    """
    base = Path(tempfile.gettempdir()) / f"badgekiln-fontconfig-{os.getuid()}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(base)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return base
        return Path(tempfile.mkdtemp(prefix="badgekiln-fontconfig-"))
    except OSError as exc:
        raise RenderError(
            f"cannot create a directory for the font configuration: {exc}", reason="fonts"
        ) from exc
