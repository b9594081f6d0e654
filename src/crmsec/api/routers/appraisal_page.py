"""Project appraisal from the page: instrument packages side by side (issue 15).

The form on ``/projects/{code}`` posts the parameters of up to two instrument packages (price floor, CfD,
capital grant, loan guarantee, first-loss tranche, public offtake, public equity); the page appraises the
project's stored case — or its labelled archetype case (:mod:`crmsec.projects.archetypes`) — against the
no-support baseline on one common set of price paths (:func:`crmsec.projects.appraisal.appraise`) and shows
the summary table, the cumulative equity cash-flow fan and the public-cost distribution. ``fmt=xlsx``
downloads the same tables; ``/projects/{code}/case.yaml`` downloads the case as a template to edit.
"""

from __future__ import annotations

import io
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from crmsec.api import figures, services
from crmsec.api.deps import AnalystUser, CsrfDep, ProjectsDep
from crmsec.api.i18n import translator
from crmsec.api.labels import label
from crmsec.api.web import render
from crmsec.errors import InputError

router = APIRouter(include_in_schema=False)

#: form field → (instrument type, instrument key, factor from the form's unit to the model's)
FIELDS: dict[str, tuple[str, str, float]] = {
    "floor_strike": ("floor", "strike", 1.0), "floor_years": ("floor", "years", 1.0),
    "cfd_strike": ("cfd", "strike", 1.0), "cfd_years": ("cfd", "years", 1.0),
    "grant_meur": ("grant", "amount", 1e6),
    "guarantee_share": ("guarantee", "share", 0.01), "guarantee_spread": ("guarantee", "spread", 0.01),
    "first_loss_meur": ("first_loss", "amount", 1e6),
    "offtake_share": ("offtake", "share", 0.01), "offtake_price": ("offtake", "price", 1.0),
    "offtake_years": ("offtake", "years", 1.0),
    "equity_share": ("equity", "share", 0.01),
}
#: what an instrument needs before it counts as chosen (the rest of its fields are optional)
REQUIRED = {"floor": "strike", "cfd": "strike", "grant": "amount", "guarantee": "share", "first_loss": "amount",
            "offtake": "share", "equity": "share"}
PACKAGES = ("a", "b")
SUMMARY = ("package", "e_npv", "npv_p10", "p_npv_neg", "irr_p50", "p_default", "public_cost_mean",
           "public_cost_p95", "p_go", "additionality")
MONEY = {"e_npv", "npv_p10", "npv_p50", "npv_p90", "npv_es5", "public_cost_mean", "public_cost_p95"}
MAX_PATHS = 5000


def project_case_for_page(rec: dict[str, Any]) -> tuple[dict[str, Any] | None, bool, list[str], str | None]:
    """(case data, is_archetype, notes, reason when there is no case at all) of a registry record."""
    from crmsec.projects.archetypes import archetype_notes
    from crmsec.projects.service import record_case

    try:
        data, archetype = record_case(rec)
    except InputError as err:
        return None, False, [], str(err)
    return data, archetype, archetype_notes(rec) if archetype else [], None


def packages_from_form(form: dict[str, str], names: dict[str, str]) -> list[Any]:
    """Instrument packages from the form (``a_floor_strike`` …); empty fields are left out."""
    from crmsec.projects.instruments import package

    out = []
    for p in PACKAGES:
        specs: dict[str, dict[str, Any]] = {}
        for field, (itype, key, factor) in FIELDS.items():
            raw = (form.get(f"{p}_{field}") or "").strip().replace(",", ".")
            if not raw:
                continue
            try:
                value = float(raw) * factor
            except ValueError:
                raise InputError(f"{names.get(field, field)}: '{raw}' is not a number") from None
            specs.setdefault(itype, {"type": itype})[key] = int(value) if key == "years" else value
        if "guarantee" in specs:
            specs["guarantee"].setdefault("spread", 0.01)
        chosen = [s for t, s in specs.items() if REQUIRED[t] in s]
        if chosen:
            out.append(package(form.get(f"{p}_name") or f"package {p.upper()}", *chosen))
    return out


def _figures(res: Any, _: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    fan = res.fan[res.fan["variable"] == "equity_cf_cumulative"]
    data = []
    for i, (pkg, sel) in enumerate(fan.groupby("package", sort=False)):
        sel = sel.sort_values("year")
        colour = figures.PALETTE[i % len(figures.PALETTE)]
        name = _("no instrument") if pkg == "none" else pkg
        x = sel["year"].tolist()
        data.append({"type": "scatter", "x": x, "y": (sel["p95"] / 1e6).tolist(), "mode": "lines",
                     "line": {"width": 0, "color": colour}, "showlegend": False, "hoverinfo": "skip"})
        data.append({"type": "scatter", "x": x, "y": (sel["p05"] / 1e6).tolist(), "mode": "lines",
                     "line": {"width": 0, "color": colour}, "fill": "tonexty", "opacity": 0.25,
                     "name": f"{name}: P5–P95"})
        data.append({"type": "scatter", "x": x, "y": (sel["p50"] / 1e6).tolist(), "mode": "lines",
                     "name": f"{name}: {_('median')}", "line": {"color": colour, "width": 2}})
    fan_fig = {"data": data, "layout": {
        "title": {"text": _("Cumulative equity cash flow by package (median and P5–P95)")}, "font": figures.FONT,
        "height": 420, "xaxis": {"title": {"text": _("year")}}, "yaxis": {"title": {"text": "M EUR"}},
        "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 50, "r": 20, "b": 90, "l": 80}}}
    boxes = [{"type": "box", "name": pkg, "y": (res.public_cost_paths(pkg) / 1e6).tolist()[:2000],
              "boxpoints": False, "marker": {"color": figures.PALETTE[(i + 1) % len(figures.PALETTE)]}}
             for i, pkg in enumerate(p for p in res.outcomes if p != "none")]
    cost_fig = {"data": boxes, "layout": {
        "title": {"text": _("Public cost per price path (present value)")}, "font": figures.FONT, "height": 360,
        "yaxis": {"title": {"text": "M EUR"}}, "showlegend": False, "margin": {"t": 50, "r": 20, "b": 50, "l": 80}}}
    return fan_fig, cost_fig


def summary_rows(summary: Any) -> list[dict[str, Any]]:
    """The summary in display units: money in M EUR, the rest as computed (shares stay in [0, 1])."""
    cols = [c for c in SUMMARY if c in summary.columns]
    frame = summary[cols].copy()
    for c in MONEY & set(cols):
        frame[c] = frame[c] / 1e6
    return services.records(frame)


def _xlsx(res: Any, rows: list[dict[str, Any]], notes: list[str], lang: str) -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame = pd.DataFrame(rows)
        frame.columns = [label(c, lang) for c in frame.columns]
        frame.to_excel(xl, sheet_name="summary", index=False)
        res.fan.to_excel(xl, sheet_name="fan", index=False)
        pd.DataFrame({"note": notes or [res.case.name]}).to_excel(xl, sheet_name="case", index=False)
    return buf.getvalue()


@router.get("/projects/{code}/case.yaml")
def case_template(code: str, user: AnalystUser, projects: ProjectsDep) -> Response:
    """The project's case (stored or archetype) as a YAML template to edit and store with the CLI/API."""
    from crmsec.api.routers.projects import visible_project

    rec = visible_project(projects, code, user)
    data, archetype, notes, reason = project_case_for_page(rec)
    if data is None:
        from crmsec.projects.data import EXAMPLE_CASE

        text = EXAMPLE_CASE.read_text(encoding="utf-8")
    else:
        head = "".join(f"# {n}\n" for n in notes)
        text = head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return Response(text, media_type="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{code}-case.yaml"'})


@router.post("/projects/{code}/appraise", response_class=HTMLResponse, dependencies=[CsrfDep])
async def appraise_page(request: Request, code: str, user: AnalystUser, projects: ProjectsDep) -> Response:
    """Appraise the project with the packages of the form (at most two) against no support."""
    from starlette.concurrency import run_in_threadpool

    from crmsec.api.routers.projects import visible_project
    from crmsec.projects.appraisal import appraise
    from crmsec.projects.case import load_case

    lang = request.state.lang
    _ = translator(lang)
    form = {k: str(v) for k, v in (await request.form()).items()}
    rec = visible_project(projects, code, user)
    data, archetype, notes, reason = project_case_for_page(rec)
    ctx: dict[str, Any] = {"p": rec, "case_notes": notes, "archetype": archetype, "no_case": reason,
                           "form": form, "path": f"/projects/{code}"}  # language switch returns to the project
    error = None
    try:
        if data is None:
            raise InputError(reason or "no case")
        n_paths = int(float(form.get("n_paths") or 2000))
        if not 100 <= n_paths <= MAX_PATHS:
            raise InputError(_("Monte Carlo paths must be between 100 and {n}.").format(n=MAX_PATHS))
        pkgs = packages_from_form(form, {k: label(k, lang) for k in FIELDS})
        case = load_case(data)
        res = await run_in_threadpool(appraise, case, pkgs, n_paths=n_paths)
    except (InputError, ValueError) as err:
        error = str(err)
    if error is not None:
        return render(request, "pages/project.html", user, status_code=422, error=error, **ctx, **_defaults(data))
    rows = summary_rows(res.summary)
    if form.get("fmt") == "xlsx":
        return Response(_xlsx(res, rows, notes, lang),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{code}-appraisal.xlsx"'})
    fan_fig, cost_fig = _figures(res, _)
    result = {"rows": rows, "columns": [(c, label(c, lang)) for c in SUMMARY if rows and c in rows[0]],
              "fan": fan_fig, "cost": cost_fig if cost_fig["data"] else None, "n_paths": res.n_paths,
              "case_name": res.case.name}
    return render(request, "pages/project.html", user, result=result, **ctx, **_defaults(data))


def _defaults(data: dict[str, Any] | None) -> dict[str, Any]:
    """Reference price of the main product (EUR/t) for the form's hints, when the case has one in EUR."""
    try:
        price = data["products"][0]["price"] if data else None
        p0 = float(price["p0"]) if price and str(price.get("unit", "EUR/t")).startswith("EUR") else None
    except (KeyError, TypeError, ValueError, IndexError):
        p0 = None
    return {"ref_price": p0}
