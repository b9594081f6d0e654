"""Build briefings from the store and the engines' results, render them as HTML, PDF and XLSX.

A :class:`Briefing` is plain data (facts, one key chart as SVG, tables, sources, caveats); ``to_html`` renders
it with the same Babel catalogs as the dashboard, ``to_pdf`` prints that HTML with WeasyPrint and ``to_xlsx``
writes its tables, one sheet each, plus a sheet of sources. Numbers come from :mod:`crmsec.api.services`
(store queries) and :mod:`crmsec.api.engines` (the engines' public functions); nothing is recomputed here.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from crmsec.api import engines, services
from crmsec.api.i18n import format_day, format_number, format_share, translator
from crmsec.api.labels import basis_text, humanise, label, result_text
from crmsec.errors import InputError
from crmsec.reports import charts

TEMPLATES = Path(__file__).parent / "templates"
_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
LANGS = ("en", "nl")


@dataclass
class Section:
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    text: str | None = None
    empty: str | None = None


@dataclass
class Briefing:
    """Everything a briefing shows; ``tables`` (sheet name → frame) go to the XLSX export."""

    kind: str
    key: str
    lang: str
    title: str
    subtitle: str
    kind_label: str
    summary: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    card_groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)  # headline cards per group
    chart_svg: str | None = None
    chart_caption: str = ""
    sections: list[Section] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    generated: str = field(default_factory=lambda: dt.date.today().isoformat())

    @property
    def filename(self) -> str:
        return f"briefing-{self.kind}-{self.key}-{self.lang}"


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"lang {lang!r}: must be 'en' or 'nl'")
    return lang


def fmt(v: Any, lang: str = "en") -> str:
    """A cell or fact value in the briefing's locale (Babel via :func:`crmsec.api.i18n.format_number`)."""
    if isinstance(v, bool):
        return "✓" if v else "–"
    if isinstance(v, float) or isinstance(v, int):
        return format_number(v, 2, lang)
    return "–" if v is None else str(v)


def _days(v: Any, lang: str = "en") -> str:
    """Days to stock-out for a table cell: "–" when unknown, "no stock-out" when stocks outlast the event."""
    if isinstance(v, float | int) and math.isinf(v):
        return translator(lang)("no stock-out during the event")
    v = services.clean(v)
    return "–" if v is None else format_number(float(v), 0, lang)


def pct(v: Any, lang: str = "en") -> str:
    return format_share(v, 1, lang)


def _section_from_frame(title: str, frame: pd.DataFrame, columns: dict[str, str], empty: str,
                        limit: int = 60) -> Section:
    cols = [c for c in columns if c in frame.columns]
    rows = [[services.clean(v) for v in r] for r in frame[cols].head(limit).itertuples(index=False)]
    return Section(title=title, columns=[columns[c] for c in cols], rows=rows, empty=empty)


def material_briefing(con: Any, material_id: str, lang: str = "en") -> Briefing:
    """Briefing on one material: producers by stage, NL suppliers, EU/NL criticality where available."""
    _ = translator(_check_lang(lang))
    mat = services.material(con, material_id)
    name = (mat.get("name_nl") if lang == "nl" else None) or mat.get("name_en") or material_id
    cnames = services.country_names(con, lang)
    prod = services.producer_shares(con, material_id)
    trade = services.trade_partners(con, material_id)
    for frame in (prod, trade):
        if not frame.empty:
            frame["country_name"] = frame["country"].map(cnames).fillna(frame["country"])
    b = Briefing(kind="material", key=material_id, lang=lang, kind_label=_("material briefing"),
                 title=_("Briefing: {name}").format(name=name),
                 subtitle=_("Supply of {name} to the Netherlands and the EU").format(name=name))
    status = []
    if str(mat.get("eu_crm_2023")) == "1":
        status.append(_("EU critical raw material (2023)"))
    if str(mat.get("crma_strategic")) == "1":
        status.append(_("CRMA strategic raw material"))
    b.facts.append((_("status"), ", ".join(status) if status else _("not on the EU 2023 list")))
    key_stage = None
    if not prod.empty:
        by_stage = prod.sort_values("share", ascending=False).groupby("stage", sort=False).head(1)
        for r in services.records(by_stage):
            b.facts.append((_("largest producer, {stage} ({year})").format(stage=_(r["stage"]), year=r["year"]),
                            f"{r['country_name']} {pct(r['share'], lang)}"))
        # the key chart shows the stage with the highest concentration
        key_stage = prod.groupby("stage")["hhi"].first().sort_values(ascending=False).index[0]
    if not trade.empty:
        top = services.records(trade.head(1))[0]
        b.facts.append((_("largest supplier to NL ({year})").format(year=top["year"]),
                        f"{top['country_name']} {pct(top['share'], lang)}"))
    crit = engines.material_criticality(con, material_id)
    if crit is not None:
        for key, label in (("sr", _("supply risk (SR)")), ("ei", _("economic importance (EI)"))):
            if crit.get(key) is not None:
                b.facts.append((label + f" {crit.get('year', '')}", fmt(crit[key], lang)))
    if key_stage is not None:
        sel = prod[prod["stage"] == key_stage].head(10)
        year = int(sel["year"].iloc[0])
        b.chart_svg = charts.bar_chart(list(sel["country_name"]), list(sel["share"]),
                                       _("Share of world production, {stage} {year}").format(stage=_(key_stage),
                                                                                             year=year),
                                       percent=True)
        b.chart_caption = _("Source: {source} ({vintage}); HHI {hhi}.").format(
            source=sel["source"].iloc[0], vintage=sel["vintage"].iloc[0], hhi=fmt(float(sel["hhi"].iloc[0]), lang))
    cols = {"stage": _("stage"), "country_name": _("country"), "year": _("year"), "quantity": _("quantity"),
            "unit": _("unit"), "share": _("share"), "source": _("source")}
    prod_out = prod.assign(share=prod["share"].map(pct)) if not prod.empty else prod
    b.sections.append(_section_from_frame(_("Producers by stage"), prod_out, cols,
                                          _("No production data in this vintage for this material.")))
    tcols = {"country_name": _("country"), "year": _("year"), "tonnes": _("tonnes"),
             "value_kusd": _("value (kUSD)"), "share": _("share")}
    trade_out = trade.assign(share=trade["share"].map(pct)) if not trade.empty else trade
    b.sections.append(_section_from_frame(_("Largest suppliers to the Netherlands"), trade_out, tcols,
                                          _("No BACI trade flows to the Netherlands for this material.")))
    b.tables = {"producers": prod, "nl_suppliers": trade}
    for r in services.records(services.vintages(con, material_id)):
        b.sources.append(f"{r['source']} ({r['vintage']}), {r['year_min']}–{r['year_max']}")
    tv = services.trade_vintage(con)
    if tv:
        b.sources.append(f"{tv['source']}, {tv['year_min']}–{tv['year_max']}")
    b.notes += [
        _("Shares are computed per stage from one source series; quantities of different units or bases are never added."),
        _("Trade partners are exporters as reported by BACI (reporter = importer); re-exports through EU hubs are not separated here."),
        _("Missing values are shown as '–', never as zero."),
    ]
    if crit is None:
        b.notes.append(_("Criticality figures are not available in this build."))
    return b


def list_briefing(con: Any, year: int | None = None, lang: str = "en") -> Briefing:
    """Briefing on the annual Dutch national list (engine: :mod:`crmsec.criticality`)."""
    _ = translator(_check_lang(lang))
    res = engines.national_list(con, year)
    frame: pd.DataFrame = res["table"]
    names = services.material_names(con, lang)
    frame = frame.assign(material=frame["material_id"].map(names).fillna(frame["material_id"]))
    on = frame[frame["on_list"].astype(bool)] if "on_list" in frame else frame
    yr = res["year"]
    b = Briefing(kind="list", key=str(yr), lang=lang, kind_label=_("national list briefing"),
                 title=_("National list of critical raw materials {year}").format(year=yr),
                 subtitle=_("The raw materials that matter most for Dutch industry and are least secure"))
    from crmsec.criticality.national_list import SR_BASIS_EU, eu_view_note

    b.summary = _("{n} materials are on the list for {year}.").format(n=len(on), year=yr)
    borrowed = eu_view_note(frame, lang)  # entries resting on the EU's SR, not Dutch trade (issue 12 review)
    if borrowed:
        b.summary += " " + borrowed
    b.facts.append((_("materials on the list"), str(len(on))))
    if "sr_basis" in on:
        b.facts.append((_("of which on the EU supply risk (borrowed)"),
                        str(int((on["sr_basis"] == SR_BASIS_EU).sum()))))
    diff = res.get("diff")
    if diff is not None and not diff.empty:
        def _named(kind: str) -> list[str]:  # an entry/exit within the data noise says so on the headline card
            d = diff[diff["change"] == kind]
            near = d["near_cutoff"].fillna(False).astype(bool) if "near_cutoff" in d else pd.Series(False, d.index)
            return [(_("{name} (near the cut-off)").format(name=nm) if nr else nm)
                    for nm, nr in zip(d["material_id"].map(names).fillna(""), near, strict=True)]

        entered, left = _named("entered"), _named("left")
        b.facts.append((_("entered since {year}").format(year=res.get("vs")), ", ".join(entered) or "–"))
        b.facts.append((_("left since {year}").format(year=res.get("vs")), ", ".join(left) or "–"))
    mat = res.get("matrix")
    if mat is not None and not mat.empty and {"sr", "ei"} <= set(mat.columns):
        mat = mat.assign(material=mat["material_id"].map(names).fillna(mat["material_id"]))
        pts = [(r["material"], r["ei"], r["sr"], bool(r.get("critical")))
               for r in services.records(mat)]
        b.chart_svg = charts.scatter_chart(pts, res.get("ei_threshold", 2.8), res.get("sr_threshold", 1.0),
                                           _("Criticality matrix {year}").format(year=res.get("matrix_year", yr)),
                                           _("Economic importance (EI)"), _("Supply risk (SR)"))
        b.chart_caption = _("EU method; dashed lines are the thresholds SR = 1.0 and EI = 2.8.")
        b.tables["matrix"] = mat
    cols = {"rank": _("rank"), "material": _("material"), "score": _("score"), "on_list": _("on list"),
            "sr_basis": _("supply basis"), "drivers": _("drivers")}
    from crmsec.criticality.national_list import localise_text

    ranked = frame.sort_values("rank").assign(rank=lambda f: f["rank"].astype("Int64"))
    if "sr_basis" in ranked:
        basis_label = {SR_BASIS_EU: _("EU SR 2023 (borrowed)"), "NL trade": _("NL trade")}
        ranked = ranked.assign(sr_basis=ranked["sr_basis"].map(lambda v: basis_label.get(v, v)))
    if "drivers" in ranked:
        ranked = ranked.assign(drivers=ranked["drivers"].map(lambda t: humanise(localise_text(t, lang), lang)))
    b.sections.append(_section_from_frame(_("Ranking"), ranked, cols, _("No ranking."), 80))
    if diff is not None and not diff.empty:
        dcols = {"material_id": _("material"), "change": _("change"), "cause": _("cause")}
        diff_out = diff.assign(material_id=diff["material_id"].map(names).fillna(diff["material_id"]))
        if "cause" in diff_out:
            diff_out = diff_out.assign(cause=diff_out["cause"].map(lambda t: humanise(localise_text(t, lang), lang)))
        b.sections.append(_section_from_frame(_("Changes since the previous list"), diff_out, dcols, "–"))
        b.tables["diff"] = diff
    b.tables["list"] = frame
    b.sources += res.get("sources", [])
    b.notes += [n for n in res.get("notes", []) if n != eu_view_note(res["table"])]  # localised in the summary
    return b


def scenario_briefing(con: Any, name: str, lang: str = "en", draws: int = 0) -> Briefing:
    """Briefing on one built-in scenario (engine: :mod:`crmsec.scenarios`)."""
    _ = translator(_check_lang(lang))
    res = engines.run_scenario(con, name, draws=draws)
    b = Briefing(kind="scenario", key=name, lang=lang, kind_label=_("scenario briefing"),
                 title=_("Scenario: {name}").format(name=result_text(res, "title", lang) or name),
                 subtitle=_("What the disruption takes away from the Netherlands and the EU"))
    b.summary = result_text(res, "description", lang)
    mats, secs = res["tables"]["materials"], res["tables"]["sectors"]
    names = services.material_names(con, lang)
    for r in services.records(mats[mats["region"] == "NLD"]):
        b.facts.append((_("supply lost, {material} (NL)").format(material=names.get(r["material_id"], r["material_id"])),
                        pct(r.get("shortfall_share"), lang)))

    def _va(region: str, col: str) -> Any:
        if secs.empty or col not in secs:
            return None
        return services.clean(secs[secs["region"] == region][col].sum(min_count=1))

    # headline cards: the central case next to the upper bound, each labelled (issue 13)
    b.facts.append((_("value added at risk, NL — central case, an estimate (M EUR per event)"), fmt(_va("NLD", "va_at_risk_central_meur"), lang)))
    b.facts.append((_("value added at risk, NL — upper bound, φ = 1 (M EUR per event)"),
                    fmt(_va("NLD", "va_at_risk_upper_bound_meur"), lang)))
    b.facts.append((_("value added at risk, EU — central case, an estimate (M EUR per event)"), fmt(_va("EU27", "va_at_risk_central_meur"), lang)))
    b.facts.append((_("value added at risk, EU — upper bound, φ = 1 (M EUR per event)"),
                    fmt(_va("EU27", "va_at_risk_upper_bound_meur"), lang)))
    if res.get("probability") is not None:
        b.facts.append((_("annual probability (basis in the notes)"), pct(res.get("probability"), lang)))
    st, _by_sector = engines.shortfall_timeline(res, "NLD")
    if not st.empty:
        piv = st.pivot_table(index="t", columns="group", values="value", aggfunc="max").sort_index()
        b.chart_svg = charts.line_chart(list(piv.index), {str(c): list(piv[c]) for c in piv.columns},
                                        _("Shortfall by sector over time (NL)"), _("day"), _("share of supply lost"))
        b.chart_caption = _("Each sector follows the shortfall of its binding material; rerouting after the lag.")
    mcols = {"region": _("region"), "material": _("material"), "binding_stage": _("stage"),
             "shortfall_share": _("share lost"), "shortfall_t": _("tonnes"), "effective_days": _("days"),
             "days_to_stockout": _("days to stock-out"),
             "days_to_stockout_30d": _("days to stock-out with 30 days of stocks"),
             "days_to_stockout_60d": _("days to stock-out with 60 days of stocks"),
             "days_to_stockout_90d": _("days to stock-out with 90 days of stocks"), "reason": _("reason")}
    rng = {c: mats[c].map(lambda v: _days(v, lang)) for c in mcols if c.startswith("days_to_stockout") and c in mats}
    shown = mats.assign(**rng, shortfall_share=mats["shortfall_share"].map(lambda v: pct(v, lang)),
                        material=mats["material_id"].map(names).fillna(mats["material_id"]),
                        binding_stage=mats["binding_stage"].map(lambda v: _(v) if isinstance(v, str) and v else None),
                        reason=mats["reason"].map(lambda t: humanise(t, lang)),
                        region=mats["region"].map(lambda r: label(r, lang)))
    b.sections.append(_section_from_frame(_("Supply lost per material"), shown, mcols, "–"))
    scols = {"region": _("region"), "nace": "NACE", "binding_material": _("binding material"),
             "va_at_risk_central_meur": _("value added at risk, central case, an estimate (M EUR per event)"),
             "va_at_risk_upper_bound_meur": _("value added at risk, upper bound (M EUR per event)"),
             "va_basis": _("basis"), "reason": _("reason")}
    secs_shown = secs.assign(reason=secs["reason"].map(lambda t: humanise(t, lang)),
                             region=secs["region"].map(lambda r: label(r, lang)),
                             binding_material=secs["binding_material"].map(names).fillna(secs["binding_material"]),
                             va_basis=secs["va_basis"].map(lambda t: humanise(t, lang)))
    b.sections.append(_section_from_frame(_("Sectors hit"), secs_shown, scols, "–"))
    b.tables = {k: v for k, v in res["tables"].items()}
    b.sources += res.get("sources", [])
    notes = (res.get("notes_nl") if lang == "nl" else None) or res.get("notes", [])
    b.notes += [_("Assumption: ") + n for n in notes]
    b.notes.append(_("Central case (an estimate): substitution at the EU substitution index, stocks drawn down per "
                     "material (60 days by default; cobalt 120 days, calibrated on the 2025 DR Congo suspension), "
                     "only the dependent share of each sector (assumption table, design assumptions). Upper bound: "
                     "no substitution, stocks or priority allocation (φ = 1), the whole sector stops while its "
                     "binding input is short. Without user stock data, days to stock-out are shown for 30, 60 and "
                     "90 days of working stocks."))
    if res.get("probability_basis"):
        b.notes.append(_("Annual probability: ") + basis_text(result_text(res, "probability_basis", lang), lang))
    return b


def to_html(b: Briefing) -> str:
    """The briefing page (also the PDF's source), with the data vintage id and methods (crmsec.provenance)."""
    from crmsec.provenance import record

    return _ENV.get_template("briefing.html").render(b=b, _=translator(b.lang), fmt=lambda v: fmt(v, b.lang),
                                                    generated=format_day(b.generated, b.lang), prov=record())


def to_pdf(b: Briefing) -> bytes:
    from weasyprint import HTML

    return HTML(string=to_html(b), base_url=str(TEMPLATES)).write_pdf()


def to_xlsx(b: Briefing) -> bytes:
    """All tables of the briefing (one sheet each), a 'sources' sheet and the 'provenance' sheet (values only:
    no text cell becomes a formula, :func:`crmsec.output.write_xlsx`)."""
    from crmsec.output import write_xlsx

    buf = io.BytesIO()
    meta = pd.DataFrame({"item": ["title", "generated", "language"] + ["source"] * len(b.sources)
                         + ["note"] * len(b.notes),
                         "value": [b.title, b.generated, b.lang] + b.sources + b.notes})
    write_xlsx(buf, {**b.tables, "sources": meta})
    return buf.getvalue()


def write(b: Briefing, out_dir: Path, formats: tuple[str, ...] = ("html", "pdf", "xlsx")) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in formats:
        path = out_dir / f"{b.filename}.{f}"
        tmp = path.with_name(path.name + ".tmp")
        if f == "html":
            tmp.write_text(to_html(b), encoding="utf-8")
        elif f == "pdf":
            tmp.write_bytes(to_pdf(b))
        elif f == "xlsx":
            tmp.write_bytes(to_xlsx(b))
        else:
            raise InputError(f"format {f!r}: use html, pdf or xlsx")
        tmp.replace(path)
        paths.append(path)
    return paths


def write_annual_briefing(out_dir: Path | str, lang: str = "nl", *, store_path: Path | None = None,
                          year: int | None = None) -> list[Path]:
    """Write the annual national-list briefing (HTML, PDF, XLSX) to ``out_dir`` — the step ``make run`` calls."""
    from crmsec.store import open_store

    con = open_store(store_path)
    try:
        return write(list_briefing(con, year, lang), Path(out_dir))
    finally:
        con.close()
