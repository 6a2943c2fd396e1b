"""Inline SVG plots for the HTML run report: grouped bars, 100 % bars and histograms.

Written by hand (a few lines each) so the report is plain text with no plotting library, no script
and nothing to fetch; every bar carries a ``<title>`` with its value for hovering.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections.abc import Mapping, Sequence

SERIES_COLOURS = ["#2f6fdb", "#9aa5b1", "#e9a03b", "#2a9d8f", "#d1495b", "#8e5bd6", "#6c757d", "#b5651d"]


def esc(value: object) -> str:
    """Text made safe inside HTML and SVG (benchmark labels and programs are untrusted)."""
    return html.escape(str(value))


def _legend(names: Sequence[str], colours: Sequence[str]) -> str:
    return '<p class="legend">' + "".join(f'<span><i style="background:{c}"></i>{esc(n)}</span>'
                                          for n, c in zip(names, colours)) + "</p>"


def bar_chart(rows: Sequence[tuple[str, Sequence[float | None]]], series: Sequence[str],
              colours: Sequence[str] = SERIES_COLOURS, top: float = 100.0, unit: str = "%") -> str:
    """Horizontal grouped bars: one group per row label, one bar per series (missing values left out)."""
    label_w, plot_w, bar_h, gap = 260, 620, 9, 8
    group_h = bar_h * len(series) + gap
    height = group_h * len(rows) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 60}" height="{height}" '
             f'role="img">']
    for k in range(5):
        x = label_w + plot_w * k / 4
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 18}" stroke="#e3e7ed"/>'
                     f'<text x="{x}" y="{height - 5}" text-anchor="middle">{top * k / 4:g}{unit}</text>')
    for i, (label, values) in enumerate(rows):
        y0 = i * group_h
        parts.append(f'<text x="{label_w - 6}" y="{y0 + group_h / 2}" text-anchor="end">{esc(label[:42])}</text>')
        for j, value in enumerate(values):
            if value is None:
                continue
            w = max(plot_w * min(value, top) / top, 1)
            y = y0 + j * bar_h
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                         f'fill="{colours[j % len(colours)]}"><title>{esc(series[j])}: {value:.1f}'
                         f'</title></rect><text x="{label_w + w + 3:.1f}" y="{y + bar_h - 1}">{value:.1f}</text>')
    parts.append("</svg>")
    return _legend(series, colours) + "".join(parts)


def stacked_chart(rows: Sequence[tuple[str, Mapping[str, int]]], colours: Mapping[str, str]) -> str:
    """Horizontal 100 % bars: the share of each part per row label."""
    label_w, plot_w, bar_h = 260, 620, 16
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 10}" '
             f'height="{bar_h * len(rows) + 4}" role="img">']
    for i, (label, counts) in enumerate(rows):
        total, x, y = sum(counts.values()) or 1, float(label_w), i * bar_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{esc(label[:42])}</text>')
        for name, colour in colours.items():
            w = plot_w * counts.get(name, 0) / total
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 1}" width="{w:.1f}" height="{bar_h - 3}" fill="{colour}">'
                             f'<title>{esc(name)}: {counts[name]} of {total}</title></rect>')
            x += w
    parts.append("</svg>")
    return _legend(list(colours), list(colours.values())) + "".join(parts)


def histogram(values: Sequence[float], unit: str, bins: int = 20, integer: bool = False) -> str:
    """Counts of ``values`` in equal bins (one bin per whole number when ``integer``)."""
    if not values:
        return '<p class="muted">no values</p>'
    low, high = min(values), max(values)
    if integer:
        edges = [low + k for k in range(int(high - low) + 2)]
    else:
        width = (high - low) / bins or 1.0
        edges = [low + width * k for k in range(bins + 1)]
    counts = [0] * (len(edges) - 1)
    for v in values:
        counts[min(bisect_right(edges, v) - 1, len(counts) - 1)] += 1
    plot_w, plot_h, left = 560, 140, 40
    bar_w = plot_w / len(counts)
    peak = max(counts)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{plot_w + left + 20}" height="{plot_h + 40}" role="img">',
             f'<text x="{left - 4}" y="12" text-anchor="end">{peak}</text>',
             f'<text x="{left - 4}" y="{plot_h}" text-anchor="end">0</text>']
    for k, count in enumerate(counts):
        h = plot_h * count / peak
        parts.append(f'<rect x="{left + k * bar_w:.1f}" y="{plot_h - h + 4:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                     f'height="{h:.1f}" fill="#2f6fdb"><title>{edges[k]:g}–{edges[k + 1]:g} {unit}: {count}</title>'
                     "</rect>")
    for k in (0, len(counts)):
        label = f"{edges[k]:.0f}" if integer else f"{edges[k]:.2f}"
        parts.append(f'<text x="{left + k * bar_w:.1f}" y="{plot_h + 20}" text-anchor="middle">{label} {unit}</text>')
    parts.append("</svg>")
    return "".join(parts)
