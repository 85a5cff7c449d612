"""Badge images: SVG → PNG with cairosvg, and personalised SVG templates.

::

    from badgekiln.render import personalise_svg, svg_to_png, validate_template

    issues = validate_template(template)          # [] or what would render wrongly
    svg = personalise_svg(template, {"recipient_name": "Ada Lovelace", "issued_on": "1 May 2026"})
    png = svg_to_png(svg, size=512)

Importing this package is cheap: cairosvg (about 190 ms of imports, and the native cairo
library) loads on the first render, and fontconfig is pointed at the bundled font just before.
"""

from __future__ import annotations

from badgekiln.render.convert import svg_to_png
from badgekiln.render.gaps import TemplateIssue, validate_template
from badgekiln.render.limits import DEFAULT_LIMITS, RenderLimits
from badgekiln.render.templates import PLACEHOLDER_ATTRIBUTES, PLACEHOLDERS, is_template, personalise_svg

__all__ = [
    "DEFAULT_LIMITS",
    "PLACEHOLDERS",
    "PLACEHOLDER_ATTRIBUTES",
    "RenderLimits",
    "TemplateIssue",
    "is_template",
    "personalise_svg",
    "svg_to_png",
    "validate_template",
]
