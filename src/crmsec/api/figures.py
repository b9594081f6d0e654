"""Plotly figure specifications (plain dicts) built on the server and drawn by plotly.js in the page.

Only presentation: every number comes from an engine result or a store query passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

PALETTE = ["#0b4f8a", "#d35400", "#1e7b3a", "#8e44ad", "#b03a2e", "#5d6d7e", "#b7950b", "#117a65"]
FONT = {"family": "system-ui, sans-serif", "size": 13, "color": "#1a1a1a"}


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def criticality_matrix(rows: Sequence[dict[str, Any]], sr_threshold: float | None, ei_threshold: float | None,
                       _: Callable[[str], str], title: str, *, x_label: str | None = None,
                       y_label: str | None = None, highlight: str | None = None) -> dict[str, Any]:
    """SR × EI scatter with the threshold lines; hover shows the material and its drivers.

    Points: one per row with finite ``sr`` and ``ei``; critical ones in a separate trace (colour + legend).
    """
    pts = [r for r in rows if _finite(r.get("sr")) and _finite(r.get("ei"))]
    traces = []
    for critical, name, color, symbol in ((True, highlight or _("critical"), PALETTE[1], "diamond"),
                                          (False, _("other"), PALETTE[0], "circle")):
        sel = [r for r in pts if bool(r.get("critical")) is critical]
        traces.append({
            "type": "scatter", "mode": "markers", "name": name,
            "x": [r["ei"] for r in sel], "y": [r["sr"] for r in sel],
            "text": [r.get("material") or r["material_id"] for r in sel],
            "textposition": "top center", "textfont": {"size": 10},
            "customdata": [[r.get("drivers") or "", r.get("stage_assessed") or ""] for r in sel],
            "marker": {"size": 10, "color": color, "symbol": symbol, "line": {"width": 1, "color": "#fff"}},
            "hovertemplate": "<b>%{text}</b><br>" + (x_label or "EI") + " %{x:.2f} · " + (y_label or "SR") +
                             " %{y:.2f}<br>" + _("stage") +
                             ": %{customdata[1]}<br>" + _("drivers") + ": %{customdata[0]}<extra></extra>",
        })
    xmax = max([r["ei"] for r in pts] + [ei_threshold or 0.0, 1e-9]) * 1.08
    ymax = max([r["sr"] for r in pts] + [sr_threshold or 0.0, 1e-9]) * 1.08
    line = {"color": "#a00", "width": 2, "dash": "dash"}
    shapes, notes = [], []
    if ei_threshold is not None:
        shapes.append({"type": "line", "x0": ei_threshold, "x1": ei_threshold, "y0": 0, "y1": ymax, "line": line})
        notes.append({"x": ei_threshold, "y": ymax, "text": f"EI = {ei_threshold}", "showarrow": False,
                      "xanchor": "left", "yanchor": "top"})
    if sr_threshold is not None:
        shapes.append({"type": "line", "x0": 0, "x1": xmax, "y0": sr_threshold, "y1": sr_threshold, "line": line})
        notes.append({"x": xmax, "y": sr_threshold, "text": f"SR = {sr_threshold}", "showarrow": False,
                      "xanchor": "right", "yanchor": "bottom"})
    return {
        "data": traces,
        "layout": {
            "title": {"text": title}, "font": FONT, "height": 560, "hovermode": "closest",
            "xaxis": {"title": {"text": x_label or _("Economic importance (EI)")}, "range": [0, xmax],
                      "zeroline": False},
            "yaxis": {"title": {"text": y_label or _("Supply risk (SR)")}, "range": [0, ymax], "zeroline": False},
            "shapes": shapes,
            "annotations": notes,
            "legend": {"orientation": "h", "y": -0.15},
            "margin": {"t": 50, "r": 20, "b": 60, "l": 60},
        },
    }


def world_map(countries: Sequence[str], values: Sequence[float], labels: Sequence[str], title: str,
              colorbar: str) -> dict[str, Any]:
    """Choropleth of shares by ISO3 country (base map served locally, see static/vendor/topojson)."""
    return {
        "data": [{
            "type": "choropleth", "locationmode": "ISO-3", "locations": list(countries),
            "z": [v if _finite(v) else None for v in values], "text": list(labels),
            "colorscale": [[0, "#deebf7"], [0.5, "#4292c6"], [1, "#08306b"]], "zmin": 0,
            "marker": {"line": {"color": "#555", "width": 0.4}},
            "colorbar": {"title": {"text": colorbar}, "tickformat": ".0%"},
            "hovertemplate": "%{text}: %{z:.1%}<extra></extra>",
        }],
        "layout": {
            "title": {"text": title}, "font": FONT, "height": 420,
            "geo": {"projection": {"type": "natural earth", "scale": 1}, "center": {"lon": 10, "lat": 15},
                    "lonaxis": {"range": [-180, 180]}, "lataxis": {"range": [-60, 85]}, "showframe": False,
                    "showcoastlines": True, "showcountries": True, "countrycolor": "#999", "landcolor": "#f0f0f0",
                    "showland": True},
            "margin": {"t": 40, "r": 0, "b": 0, "l": 0},
        },
    }


def bars(labels: Sequence[str], values: Sequence[float], title: str, axis: str, *,
         horizontal: bool = True, percent: bool = False, color: str = PALETTE[0]) -> dict[str, Any]:
    vals = [v if _finite(v) else None for v in values]
    trace: dict[str, Any] = {"type": "bar", "marker": {"color": color}}
    if horizontal:
        trace.update(x=vals[::-1], y=list(labels)[::-1], orientation="h")
    else:
        trace.update(x=list(labels), y=vals)
    fmt = ".1%" if percent else ",.3~g"
    trace["hovertemplate"] = "%{" + ("y" if horizontal else "x") + "}: %{" + ("x" if horizontal else "y") + \
                             ":" + fmt + "}<extra></extra>"
    ax = {"title": {"text": axis}, "tickformat": ".0%" if percent else None}
    return {"data": [trace], "layout": {
        "title": {"text": title}, "font": FONT, "height": max(260, 28 * len(vals) + 100),
        ("xaxis" if horizontal else "yaxis"): ax, "margin": {"t": 40, "r": 20, "b": 50, "l": 140 if horizontal else 60},
    }}


def lines(x: Sequence[Any], series: dict[str, Sequence[float]], title: str, xaxis: str, yaxis: str) -> dict[str, Any]:
    data = [{"type": "scatter", "mode": "lines", "name": name, "x": list(x),
             "y": [v if _finite(v) else None for v in ys], "line": {"color": PALETTE[i % len(PALETTE)], "width": 2}}
            for i, (name, ys) in enumerate(series.items())]
    return {"data": data, "layout": {
        "title": {"text": title}, "font": FONT, "height": 420, "hovermode": "x unified",
        "xaxis": {"title": {"text": xaxis}}, "yaxis": {"title": {"text": yaxis}},
        "legend": {"orientation": "h", "y": -0.2}, "margin": {"t": 50, "r": 20, "b": 80, "l": 70},
    }}


def fan(x: Sequence[Any], bands: dict[str, Sequence[float]], title: str, xaxis: str, yaxis: str) -> dict[str, Any]:
    """Fan chart: keys p05/p10/p25/p50/p75/p90/p95 (any subset) → shaded bands around the median."""
    data: list[dict[str, Any]] = []
    pairs = [("p05", "p95", 0.15), ("p10", "p90", 0.25), ("p25", "p75", 0.4)]
    for lo, hi, alpha in pairs:
        if lo in bands and hi in bands:
            data.append({"type": "scatter", "x": list(x), "y": list(bands[hi]), "mode": "lines",
                         "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"})
            data.append({"type": "scatter", "x": list(x), "y": list(bands[lo]), "mode": "lines",
                         "line": {"width": 0}, "fill": "tonexty", "name": f"{lo}–{hi}",
                         "fillcolor": f"rgba(11,79,138,{alpha})"})
    if "p50" in bands:
        data.append({"type": "scatter", "x": list(x), "y": list(bands["p50"]), "mode": "lines", "name": "P50",
                     "line": {"color": PALETTE[0], "width": 2}})
    return {"data": data, "layout": {"title": {"text": title}, "font": FONT, "height": 400,
                                     "xaxis": {"title": {"text": xaxis}}, "yaxis": {"title": {"text": yaxis}},
                                     "margin": {"t": 50, "r": 20, "b": 60, "l": 80}}}


def sankey(nodes: Sequence[dict[str, Any]], edges: Sequence[tuple[str, str]], risk: dict[str, float],
           title: str, link_label: str = "") -> dict[str, Any]:
    """Value-chain graph as a Sankey diagram; node colour darkens with the stage risk (None = no data).

    The chains carry no tonnages per link, so links have equal widths; ``link_label`` says so on hover.
    The height grows with the number of nodes so that labels do not overlap."""
    ids = [n["id"] for n in nodes]
    pos = {nid: i for i, nid in enumerate(ids)}
    rmax = max([v for v in risk.values() if _finite(v)] + [1e-9])

    def color(nid: str) -> str:
        v = risk.get(nid)
        if not _finite(v):
            return "#b0b7c0"
        a = 0.25 + 0.75 * float(v) / rmax
        return f"rgba(176,58,46,{a:.2f})"

    links = [(pos[s], pos[t]) for s, t in edges if s in pos and t in pos]
    return {"data": [{
        "type": "sankey", "arrangement": "snap",
        "node": {"label": [n["label"] for n in nodes], "color": [color(n["id"]) for n in nodes], "pad": 12,
                 "thickness": 14, "line": {"color": "#555", "width": 0.5}},
        "link": {"source": [s for s, _ in links], "target": [t for _, t in links], "value": [1] * len(links),
                 "color": "rgba(11,79,138,0.25)", "hovertemplate": "%{source.label} → %{target.label}<br>"
                 + link_label + "<extra></extra>"},
        "textfont": {"size": 11},
    }], "layout": {"title": {"text": title}, "font": FONT, "height": max(520, min(1100, 34 * len(nodes))),
                   "margin": {"t": 50, "r": 10, "b": 10, "l": 10}}}


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float | None]],
            meets: Sequence[Sequence[float | None]], title: str, legend: tuple[str, str]) -> dict[str, Any]:
    """Benchmark grid: cell text = the value ("–" when no data), colour = target met (green) or not (red)."""
    vv = [[v if _finite(v) else None for v in r] for r in values]
    mm = [[m if _finite(m) else None for m in r] for r in meets]
    text = [["–" if v is None else f"{100 * v:.0f} %" for v in r] for r in vv]
    return {"data": [{"type": "heatmap", "x": list(cols), "y": list(rows), "z": mm, "text": text,
                      "texttemplate": "%{text}", "zmin": 0, "zmax": 1, "xgap": 2, "ygap": 2,
                      "colorscale": [[0, "#f4c7c3"], [0.5, "#f4c7c3"], [0.5, "#c7e6c9"], [1, "#c7e6c9"]],
                      "colorbar": {"tickvals": [0.25, 0.75], "ticktext": list(legend), "len": 0.3},
                      "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>"}],
            "layout": {"title": {"text": title}, "font": FONT, "height": max(320, 24 * len(rows) + 120),
                       "margin": {"t": 50, "r": 20, "b": 40, "l": 210}, "yaxis": {"autorange": "reversed"},
                       "plot_bgcolor": "#ffffff"}}


def scenario_chart(timeline: Sequence[tuple[str, Sequence[float], Sequence[float]]],
                   sectors: Sequence[tuple[str, float]], title: str, labels: dict[str, str],
                   notes: Sequence[str] = ()) -> dict[str, Any]:
    """Scenario result: shortfall share over time, one line per material (left), value added at risk per
    sector (right, bars), notes (ensemble, basis) under the chart. ``timeline`` = (name, days, shares);
    ``sectors`` = (name, M EUR); ``labels`` holds the axis and panel texts (already translated)."""
    dashes = ["solid", "dash", "dot", "dashdot", "longdash"]
    data: list[dict[str, Any]] = []
    for i, (name, days, share) in enumerate(timeline):
        data.append({"type": "scatter", "mode": "lines+markers", "name": name, "x": list(days),
                     "y": [v if _finite(v) else None for v in share], "xaxis": "x", "yaxis": "y",
                     "line": {"color": PALETTE[i % len(PALETTE)], "width": 2, "dash": dashes[i % len(dashes)]},
                     "marker": {"size": 5}, "hovertemplate": "%{y:.1%}<extra>" + name + "</extra>"})
    if sectors:
        data.append({"type": "bar", "orientation": "h", "name": labels["va"], "showlegend": False,
                     "y": [s for s, _ in sectors], "x": [v if _finite(v) else None for _, v in sectors],
                     "xaxis": "x2", "yaxis": "y2", "marker": {"color": PALETTE[1]},
                     "hovertemplate": "%{x:,.0f} M EUR<extra>%{y}</extra>"})
    split = 0.55 if sectors else 1.0
    layout: dict[str, Any] = {
        "title": {"text": title}, "font": FONT, "height": 460 + 18 * len(notes),
        "xaxis": {"domain": [0, split - 0.08 if sectors else 1], "title": {"text": labels["day"]}},
        "yaxis": {"title": {"text": labels["share"]}, "tickformat": ".0%", "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.22}, "margin": {"t": 60, "r": 20, "b": 110 + 18 * len(notes), "l": 70},
    }
    if sectors:
        layout["xaxis2"] = {"domain": [split + 0.17, 1], "anchor": "y2", "title": {"text": labels["va"]}}
        layout["yaxis2"] = {"anchor": "x2", "automargin": True, "autorange": "reversed"}
    if notes:
        layout["annotations"] = [{"text": n, "xref": "paper", "yref": "paper", "x": 0, "y": -0.32 - 0.06 * i,
                                  "showarrow": False, "xanchor": "left", "align": "left", "font": {"size": 11}}
                                 for i, n in enumerate(notes)]
    return {"data": data, "layout": layout}
