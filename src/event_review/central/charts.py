"""How the platform's charts look and why they are safe to show: pygal on the server,
in the web client's palette, with no script and no outside reference in the SVG.

The dashboard and the reviewer statistics both draw with this, so every chart
of the client looks alike and a change of palette is made once.
"""

from __future__ import annotations

from typing import Any

from pygal.style import Style  # type: ignore[import-untyped]  # pygal ships no type information

# The web client's palette (app.css), so the charts sit calmly in the page.
STYLE_OPTIONS: dict[str, object] = {
    "background": "#ffffff",
    "plot_background": "#ffffff",
    "foreground": "#475467",
    "foreground_strong": "#1d2939",
    "foreground_subtle": "#eaecf0",
    "guide_stroke_color": "#eaecf0",
    "major_guide_stroke_color": "#d0d5dd",
    "colors": ("#2e6bd9", "#0e9384", "#dc6803", "#7a5af8", "#c11574", "#667085"),
    "font_family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "label_font_size": 12,
    "major_label_font_size": 12,
    "legend_font_size": 12,
    "title_font_size": 14,
    "no_data_font_size": 16,
    "opacity": ".85",
    "opacity_hover": ".95",
    "transition": "none",
}


def style(**overrides: object) -> Any:
    """The platform's style with some options changed (colours, stroke)."""
    return Style(**{**STYLE_OPTIONS, **overrides})


BARS = style()

WIDTH, HEIGHT = 620, 280


def without_scripts(root: Any) -> Any:
    """pygal writes its config into a <script> even when told to load no JS; drop it,
    and the comments (links to pygal's site) with it: the image refers to nothing."""
    for parent in list(root.iter()):
        for child in list(parent):
            comment = not isinstance(child.tag, str)
            if comment or child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def config(style: Any) -> dict[str, object]:
    return {
        "style": style,
        "width": WIDTH,
        "height": HEIGHT,
        # No scripts at all: the page's CSP allows none (an <img> would run none anyway).
        "js": [],
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 6,
        "margin": 12,
        # pygal sizes its legend for its own default font; leave room for ours.
        "margin_bottom": 28,
        "show_minor_x_labels": False,
        "truncate_legend": -1,
        "truncate_label": -1,
        "include_x_axis": True,
        "print_values": False,
    }


def render(chart: Any) -> bytes:
    """The chart as SVG bytes, without scripts (the filter is added here, so no chart
    can be drawn without it)."""
    chart.add_xml_filter(without_scripts)
    svg: str = chart.render()  # a str: disable_xml_declaration makes pygal decode it
    return svg.encode()
