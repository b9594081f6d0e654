"""Static SVG charts for briefings (drawn with plain code: no browser, no kaleido, same output everywhere).

Each function returns an ``<svg>`` string sized in CSS pixels; WeasyPrint embeds it in the PDF as vector
graphics. Text is XML-escaped; NaN values are skipped and listed as "no data" rather than drawn as 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

COLORS = ["#0b4f8a", "#d35400", "#1e7b3a", "#8e44ad", "#b03a2e", "#5d6d7e"]
FONT = "font-family:DejaVu Sans, Arial, sans-serif"


def _ok(v: float | None) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


def _nice_max(v: float) -> float:
    if v <= 0 or not math.isfinite(v):
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def _fmt(v: float, percent: bool) -> str:
    if percent:
        return f"{100 * v:.1f} %"
    return f"{v:,.3g}" if abs(v) < 1e4 else f"{v:,.0f}"


def bar_chart(labels: Sequence[str], values: Sequence[float | None], title: str, *, percent: bool = False,
              width: int = 640) -> str:
    """Horizontal bar chart (largest first as given)."""
    rows = [(str(lbl), float(v)) for lbl, v in zip(labels, values, strict=True) if _ok(v)]
    bar_h, top, left, right = 22, 34, 170, 70
    height = top + bar_h * max(len(rows), 1) + 16
    vmax = max([v for _, v in rows] + [0.0]) or 1.0
    if percent:
        vmax = min(1.0, _nice_max(vmax)) if vmax <= 1 else vmax
    plot_w = width - left - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" style="{FONT}">',
           f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, (lbl, v) in enumerate(rows):
        y = top + i * bar_h
        w = max(plot_w * v / vmax, 0.5)
        out.append(f'<text x="{left - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(lbl[:26])}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="{COLORS[0]}"/>')
        out.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="11">{escape(_fmt(v, percent))}</text>')
    if not rows:
        out.append(f'<text x="{left}" y="{top + 14}" font-size="12">no data</text>')
    out.append("</svg>")
    return "".join(out)


def scatter_chart(points: Sequence[tuple[str, float, float, bool]], x_threshold: float, y_threshold: float,
                  title: str, x_label: str, y_label: str, *, width: int = 640, height: int = 440) -> str:
    """Criticality matrix: (label, x=EI, y=SR, critical) points with dashed threshold lines."""
    pts = [(lbl, x, y, c) for lbl, x, y, c in points if _ok(x) and _ok(y)]
    left, right, top, bottom = 56, 20, 34, 46
    xmax = _nice_max(max([p[1] for p in pts] + [x_threshold]) * 1.05)
    ymax = _nice_max(max([p[2] for p in pts] + [y_threshold]) * 1.05)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + pw * x / xmax

    def sy(y: float) -> float:
        return top + ph * (1 - y / ymax)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" style="{FONT}">',
           f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for k in range(6):
        xv, yv = xmax * k / 5, ymax * k / 5
        out.append(f'<text x="{sx(xv):.1f}" y="{top + ph + 16}" font-size="10" text-anchor="middle">{xv:.3g}</text>')
        out.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" font-size="10" text-anchor="end">{yv:.3g}</text>')
    out.append(f'<line x1="{sx(x_threshold):.1f}" y1="{top}" x2="{sx(x_threshold):.1f}" y2="{top + ph}" '
               'stroke="#a00" stroke-dasharray="5,4"/>')
    out.append(f'<line x1="{left}" y1="{sy(y_threshold):.1f}" x2="{left + pw}" y2="{sy(y_threshold):.1f}" '
               'stroke="#a00" stroke-dasharray="5,4"/>')
    for lbl, x, y, crit in pts:
        color = COLORS[1] if crit else COLORS[0]
        out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{color}"/>')
        out.append(f'<text x="{sx(x) + 5:.1f}" y="{sy(y) - 4:.1f}" font-size="8" fill="#333">{escape(lbl[:18])}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 8}" font-size="12" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{top + ph / 2}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + ph / 2})">{escape(y_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(x: Sequence[float], series: dict[str, Sequence[float | None]], title: str, x_label: str,
               y_label: str, *, width: int = 640, height: int = 360) -> str:
    """Line chart of several series over a common x axis; gaps where values are NaN."""
    left, right, top, bottom = 64, 20, 34, 70
    allv = [v for ys in series.values() for v in ys if _ok(v)]
    ymax = _nice_max(max(allv + [0.0]) * 1.05) if allv else 1.0
    xs = [float(v) for v in x]
    xmin, xmax = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if xmax == xmin:
        xmax = xmin + 1
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + pw * (v - xmin) / (xmax - xmin)

    def sy(v: float) -> float:
        return top + ph * (1 - v / ymax)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" style="{FONT}">',
           f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for k in range(6):
        yv, xv = ymax * k / 5, xmin + (xmax - xmin) * k / 5
        out.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" font-size="10" text-anchor="end">{_fmt(yv, False)}</text>')
        out.append(f'<text x="{sx(xv):.1f}" y="{top + ph + 16}" font-size="10" text-anchor="middle">{xv:.4g}</text>')
    for i, (name, ys) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        seg: list[str] = []
        for xv, yv in zip(xs, ys, strict=True):
            if _ok(yv):
                seg.append(f"{sx(xv):.1f},{sy(float(yv)):.1f}")
            elif seg:
                out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(seg)}"/>')
                seg = []
        if seg:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(seg)}"/>')
        lx = left + (i % 3) * (pw / 3)
        ly = height - 22 + (i // 3) * 14
        out.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="12" height="4" fill="{color}"/>'
                   f'<text x="{lx + 16:.1f}" y="{ly - 4}" font-size="10">{escape(str(name)[:32])}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{top + ph + 32}" font-size="12" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{top + ph / 2}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + ph / 2})">{escape(y_label)}</text>')
    out.append("</svg>")
    return "".join(out)
