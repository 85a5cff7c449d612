"""SVG → PNG with cairosvg, refusing anything that could fetch, read files or run unbounded."""

from __future__ import annotations

import contextvars
import functools
import math
import re
from typing import Any

from badgekiln.errors import BadgeKilnError, RenderError
from badgekiln.extras import requires
from badgekiln.render._fetch import DataUriFetcher
from badgekiln.render._fonts import configure_fonts
from badgekiln.render._scan import Budget, scan_svg
from badgekiln.render.limits import DEFAULT_LIMITS, RenderLimits

__all__ = ["svg_to_png"]


@requires("render", "rendering SVG to PNG")
def svg_to_png(
    svg: bytes,
    width: int | None = None,
    height: int | None = None,
    *,
    size: int | None = None,
    limits: RenderLimits = DEFAULT_LIMITS,
) -> bytes:
    """Render an SVG document to PNG bytes.

    With ``width`` and ``height`` the PNG is exactly that size (the drawing keeps its aspect
    ratio inside, as ``preserveAspectRatio`` says). With one of them, the other follows the
    SVG's aspect ratio. ``size`` sets the longer side and keeps the aspect ratio. With none, the
    SVG's own ``width``/``height`` (or ``viewBox``) decide.

    The SVG is vetted first (:func:`badgekiln.render._scan.scan_svg`): only ``data:`` URIs are
    ever read, nothing is fetched and no file is opened; entities are refused; size, element,
    depth, text and drawing-work caps come from ``limits``. cairosvg is imported on first use.

    Raises:
        InputTooLarge: the SVG is over one of ``limits``' caps (``reason`` says which).
        MalformedImage: not well-formed XML, or it declares entities.
        NotABadgeImage: the root element is not ``<svg>``.
        UnsupportedEncoding: an XML encoding the parser does not know.
        RenderError: an external reference, a reference cycle, a canvas over ``max_side`` /
            ``max_pixels`` or without a size (``canvas-too-large``, ``no-size``), or cairosvg
            failed on the document (``cairosvg``).
        TypeError, ValueError: bad arguments.
        RuntimeError: the native cairo library cannot be loaded (a deployment fault, not bad input).

    Example::

        png_bytes = svg_to_png(Path("badge.svg").read_bytes(), size=512)
    """
    if not isinstance(svg, bytes | bytearray | memoryview):
        raise TypeError(f"svg must be bytes, not {type(svg).__name__}")
    if not isinstance(limits, RenderLimits):
        raise TypeError(f"limits must be RenderLimits, not {type(limits).__name__}")
    for name, value in (("width", width), ("height", height), ("size", size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive int, not {value!r}")
    if size is not None and (width is not None or height is not None):
        raise ValueError("pass size, or width and/or height, not both")
    if width is not None or height is not None or size is not None:
        _check_canvas(width or size or 1, height or 1, limits, "the requested PNG")

    data = bytes(svg)
    budget = Budget(limits)
    scan = scan_svg(data, limits, budget)
    if size is not None:
        if scan.aspect is not None and scan.aspect < 1:
            height = size
        else:
            width = size

    configure_fonts()
    surface_class = _guarded_surface_class()
    token = _ACTIVE_LIMITS.set(limits)
    try:
        png: bytes = surface_class.convert(
            bytestring=data,
            unsafe=False,
            url_fetcher=DataUriFetcher(limits, budget),
            output_width=width,
            output_height=height,
        )
    except BadgeKilnError:
        raise
    except RecursionError as exc:
        raise RenderError(
            "the SVG nests or references itself too deeply to render", reason="too-complex"
        ) from exc
    except MemoryError as exc:
        raise RenderError("rendering the SVG ran out of memory", reason="memory") from exc
    except Exception as exc:
        # cairosvg reports bad documents as whatever its parsing step raised (ValueError from
        # float(), TypeError, KeyError, cairo errors …): translate them all at this one door.
        raise RenderError(
            f"cairosvg could not render the SVG: {type(exc).__name__}: {_first_line(exc)}",
            reason="cairosvg",
        ) from exc
    finally:
        _ACTIVE_LIMITS.reset(token)
    return png


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no details"


def _check_canvas(width: float, height: float, limits: RenderLimits, what: str) -> None:
    """Refuse a raster before cairo allocates it (4 bytes a pixel).

    Raises:
        RenderError: no usable size (``no-size``) or over the limits (``canvas-too-large``).
    """
    if not (math.isfinite(width) and math.isfinite(height)) or round(width) < 1 or round(height) < 1:
        raise RenderError(
            f"{what} has no usable size: give the SVG's root width and height or a viewBox, or ask "
            "for an explicit size",
            reason="no-size",
        )
    w, h = round(width), round(height)
    if w > limits.max_side or h > limits.max_side or w * h > limits.max_pixels:
        raise RenderError(
            f"{what} would be {w}×{h} pixels, over the limit of {limits.max_side} pixels a side and "
            f"{limits.max_pixels} pixels in all",
            reason="canvas-too-large",
            width=w,
            height=h,
            limit=limits.max_pixels,
        )


#: The limits of the render running in this context; the surface guards below read them, so
#: cairosvg used elsewhere in the process (no render running) is left untouched.
_ACTIVE_LIMITS: contextvars.ContextVar[RenderLimits | None] = contextvars.ContextVar(
    "badgekiln_render_limits", default=None
)


def _check_path_data(data: str) -> None:
    """Refuse path data in which a closepath (``z``/``Z``) is followed by anything but a command.

    SVG's grammar allows no numbers after a closepath, and cairosvg 2.9.1 loops forever on them:
    its path drawer puts what a command left back in the queue under the same command, and a
    closepath consumes nothing (``d="M0 0z1"`` never returned). The text is split as cairosvg
    splits it, so exactly what would loop is refused, whether ``d`` came from the attribute, a
    ``style`` attribute or a stylesheet.

    Raises:
        RenderError: ``reason="path-data"``.
    """
    from cairosvg.helpers import PATH_LETTERS, normalize

    if "z" not in data and "Z" not in data:
        return
    for letter in PATH_LETTERS:
        data = data.replace(letter, f" {letter} ")
    for command, rest in re.findall(f"([{PATH_LETTERS}])([^{PATH_LETTERS}]*)", normalize(data)):
        if command in "zZ" and rest.strip():
            raise RenderError(
                f"the SVG's path data goes on after a closepath ({command!r} then {rest.strip()[:20]!r}), "
                "which SVG does not allow",
                reason="path-data",
            )


@functools.cache
def _guarded_surface_class() -> Any:
    """cairosvg's PNGSurface, refusing canvases over the active limits before cairo allocates them,
    and path data cairosvg cannot draw in bounded time (:func:`_check_path_data`).

    Masks and patterns are drawn on cairosvg's ``SVGSurface`` (a recording surface), which cairo
    rasterises at its full user-space size when it is used: a 20,000-unit mask took 1.5 GB here.
    Its ``_create_surface`` is wrapped once, and checks only while one of our renders runs; so is
    the drawer of ``<path>`` in cairosvg's table of element drawers, which every surface uses, at
    the point where the element's styles have been applied to it.
    """
    try:
        from cairosvg import surface as surfaces
        from cairosvg.surface import PNGSurface, SVGSurface
    except OSError as exc:  # cairocffi could not dlopen libcairo.so.2
        raise RuntimeError(
            "cairosvg cannot load the native cairo library (libcairo.so.2): install libcairo2, or on "
            "Lambda attach the cairo layer (docs/rendering.md)"
        ) from exc

    draw_path = getattr(surfaces, "_badgekiln_unguarded_path", surfaces.TAGS["path"])
    surfaces._badgekiln_unguarded_path = draw_path

    def guarded_path(surface: Any, node: Any) -> Any:
        if _ACTIVE_LIMITS.get() is not None:
            _check_path_data(str(node.get("d", "")))
        return draw_path(surface, node)

    surfaces.TAGS["path"] = guarded_path

    # idempotent: a second call (after cache_clear) wraps the original again, not the wrapper
    original = getattr(SVGSurface, "_badgekiln_unguarded", SVGSurface._create_surface)
    SVGSurface._badgekiln_unguarded = original

    def create_vector_surface(self: Any, width: float, height: float) -> Any:
        limits = _ACTIVE_LIMITS.get()
        if limits is not None:
            _check_canvas(width, height, limits, "a mask or pattern")
        return original(self, width, height)

    SVGSurface._create_surface = create_vector_surface

    class GuardedPNGSurface(PNGSurface):  # type: ignore[misc]
        def _create_surface(self, width: float, height: float) -> Any:
            limits = _ACTIVE_LIMITS.get()
            if limits is not None:
                _check_canvas(width, height, limits, "the PNG")
            return super()._create_surface(width, height)

    return GuardedPNGSurface
