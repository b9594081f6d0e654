"""Briefing on a plurilateral club case (engine: :mod:`crmsec.club`): what each package buys in security of
supply and what it costs whom, with headline cards per package.

Numbers come from :func:`crmsec.club.results.run_case` (nothing recomputed here); the money basis, the NL proxy
and the shortfall's "neither an upper nor a lower bound" label are carried on every card that shows them
(issue 14). Package names and descriptions of the built-in cases are translated here; a user case's own
descriptions are shown as written.
"""

from __future__ import annotations

import pandas as pd

from crmsec.api.i18n import N_, format_number, format_share, translator
from crmsec.reports import charts
from crmsec.reports.briefing import Briefing, _check_lang, _section_from_frame, fmt

#: labels of the built-in packages (crmsec.club cases), translated through the catalogs
PACKAGE_LABELS = {
    "none": N_("no club (baseline)"),
    "floor_110_mp": N_("US floor 110 USD/kg on MP Materials (DoD deal)"),
    "floor_110_club": N_("club-wide floor 110 USD/kg on compliant supply"),
    "standards_20": N_("standards-based market, 20 USD/kg on non-compliant supply"),
    "subsidy_30": N_("30 % capex grant and 5 USD/kg production subsidy"),
    "offtake_90": N_("public offtake of half the output at 90 USD/kg"),
    "joint_purchasing": N_("joint purchasing: pooled tenders at 95 USD/kg"),
    "national_tenders": N_("national tenders at 95 USD/kg"),
}
BURDEN_KEYS = {"gdp": N_("GDP"), "consumption": N_("consumption"), "negotiated": N_("negotiated")}
MAX_BRIEF_PATHS = 20_000


def package_label(name: str, lang: str) -> str:
    _ = translator(lang)
    return _(PACKAGE_LABELS[name]) if name in PACKAGE_LABELS else name


def club_briefing(case_id: str = "ndpr_oxide", lang: str = "en", paths: int = 2000, seed: int = 20260325) -> Briefing:
    """Run the case's packages next to the no-club baseline and lay out the briefing."""
    from crmsec.club.existing import existing_capacity_table
    from crmsec.club.results import run_case
    from crmsec.club.spec import assumptions, load_case
    from crmsec.errors import InputError

    _ = translator(_check_lang(lang))
    if not 2 <= paths <= MAX_BRIEF_PATHS:
        raise InputError(f"paths must be between 2 and {MAX_BRIEF_PATHS:,} for a briefing, got {paths}")
    case = load_case(case_id)
    res = run_case(case, n_paths=paths, seed=seed, appraisal_paths=min(256, paths))
    s = res.summary
    unit = case.price_unit
    ban_year = int(s["ban_year"].iloc[0])
    money = _("million EUR, present value at {rate} real").format(rate=format_share(case.finance.public_rate, 2, lang))
    money_full = _("million EUR, present value at {rate} real, at {fx} EUR/USD").format(
        rate=format_share(case.finance.public_rate, 2, lang), fx=format_number(case.eur_per_usd, 3, lang))
    b = Briefing(kind="club", key=case.id, lang=lang, kind_label=_("club market briefing"),
                 title=_("Club market: {product}").format(product=case.product),
                 subtitle=_("What each package of the EU–US–Japan club buys in security of supply, and what it "
                            "costs whom"))
    b.summary = _("{n} packages next to the no-club baseline, {base}–{end}, {paths} model paths. Model results "
                  "on labelled assumptions (linear demand, capacity blocks, a dominant supplier that floods the "
                  "market in some years), not a forecast.").format(
        n=len(s) - 1, base=case.base_year, end=case.base_year + case.n_years, paths=fmt(paths, lang))
    base = s[s["package"] == "none"].iloc[0]

    def n0(v: float) -> str:
        return format_number(round(float(v)), 0, lang)

    b.facts.append((_("money basis"), money_full))
    b.facts.append((_("no club: mean world price {start}–{end} ({unit})").format(
        start=case.base_year, end=case.base_year + case.n_years, unit=unit), format_number(base["world_price_mean"], 1, lang)))
    b.facts.append((_("no club: club shortfall in an export ban, {year} (t; neither an upper nor a lower bound)")
                    .format(year=ban_year), n0(base["ban_shortfall_club_t"])))
    for r in s[s["package"] != "none"].to_dict("records"):
        cards = [
            (_("fiscal cost, mean / P95 ({money})").format(money=money),
             f"{n0(r['fiscal_cost_mean_meur'])} / {n0(r['fiscal_cost_p95_meur'])}"),
            (_("Dutch share of the burden ({key} key; proxy; {money})").format(key=_(BURDEN_KEYS.get(r["burden_key"], r["burden_key"])), money=money),
             format_number(r["burden_nl_meur"], 1, lang)),
            (_("induced capacity (t/yr)"), n0(r["induced_capacity_t"])),
            (_("club shortfall in an export ban, {year} (t; neither an upper nor a lower bound)").format(year=ban_year),
             n0(r["ban_shortfall_club_t"])),
        ]
        b.card_groups.append((package_label(r["package"], lang), cards))
    gain = s[s["package"] != "none"]
    b.chart_svg = charts.bar_chart([package_label(p, lang) for p in gain["package"]], list(gain["security_gain_t"]),
                                   _("Security gain: club shortfall avoided in the ban year (t)"))
    b.chart_caption = _("Shortfall of the no-club baseline minus that of the package, ban on exports to the club "
                        "in {year}.").format(year=ban_year)
    shown = s.assign(package=s["package"].map(lambda p: package_label(p, lang)),
                     burden_key=s["burden_key"].map(lambda k: _(BURDEN_KEYS.get(k, k))))
    whole = ["induced_capacity_t", "fiscal_cost_mean_meur", "fiscal_cost_p95_meur", "fiscal_cost_cvar95_meur",
             "burden_nl_meur", "consumer_cost_nl_meur", "ban_shortfall_club_t", "security_gain_t"]
    shown[whole] = shown[whole].round().astype("Int64")  # whole t and M EUR (missing stays missing)
    shown["world_price_mean"] = shown["world_price_mean"].round(1)
    cols = {"package": _("package"), "induced_capacity_t": _("induced capacity (t/yr)"),
            "world_price_mean": _("world price, mean ({unit})").format(unit=unit),
            "fiscal_cost_mean_meur": _("fiscal cost, mean (M EUR, PV)"),
            "fiscal_cost_p95_meur": _("fiscal cost, P95 (M EUR, PV)"),
            "fiscal_cost_cvar95_meur": _("fiscal cost, CVaR95 (M EUR, PV)"),
            "burden_key": _("burden key"), "burden_nl_meur": _("NL burden (M EUR, PV; proxy)"),
            "consumer_cost_nl_meur": _("cost to Dutch buyers (M EUR, PV; proxy)"),
            "ban_shortfall_club_t": _("club shortfall in the ban year (t)"),
            "security_gain_t": _("security gain (t)")}
    b.sections.append(_section_from_frame(_("Packages side by side"), shown, cols, "–"))
    pr = res.projects[res.projects["package"] != "none"]
    pr = pr.assign(package=pr["package"].map(lambda p: package_label(p, lang)))
    pcols = {"package": _("package"), "project": _("project"), "region": _("region"), "capacity_t": _("capacity (t/yr)"),
             "compliant": _("meets the club standard"), "financeable": _("financeable"),
             "e_npv_musd": _("expected NPV (M USD)"), "bankable": _("bankable")}
    b.sections.append(_section_from_frame(_("Candidate projects per package"), pr, pcols, "–", limit=80))
    ex = existing_capacity_table() if case.id == "ndpr_oxide" else pd.DataFrame()
    if not ex.empty:
        ecols = {"block": _("block"), "region": _("region"), "output_2023_t": _("output 2023 (t, IEA)"),
                 "capacity_2025_t": _("capacity 2025 (t/yr)"), "capacity_source": _("source")}
        b.sections.append(_section_from_frame(_("Existing non-Chinese capacity (2025, sourced)"), ex, ecols, "–"))
    a = assumptions()
    acols = {"parameter": _("Parameter"), "value": _("Value"), "unit": _("Unit"), "evidence": _("Evidence"),
             "source": _("Source")}
    b.sections.append(_section_from_frame(_("Assumptions"), a, acols, "–", limit=80))
    b.tables = {"summary": s, "by_year": res.by_year, "projects": res.projects, "assumptions": a}
    if not ex.empty:
        b.tables["existing_capacity"] = ex
    b.sources += [f"{blk.name}: {blk.source}" for blk in case.blocks if not blk.candidate]
    b.sources.append(str(case.p0_source))
    b.notes += [
        _("Money: {money}; a negative fiscal cost is a net revenue of the treasuries (penalties collected, or the "
          "upside paid back under a floor).").format(money=money),
        _("Dutch share of the burden: the EU's part times the Dutch share of EU GDP (or of EU use under the "
          "consumption key) — a proxy, not a negotiated Dutch contribution."),
        _("Export-ban shortfall: no stocks and no substitution overstate it, full diversion of all non-Chinese "
          "capacity to the club understates it, so it is neither an upper nor a lower bound."),
        _("Price model calibrated against NdPr oxide prices 2021–2026 (USGS annual averages, Reuters spot of "
          "February 2026); volatility and mean reversion are labelled assumptions."),
        _("Evidence: A = assumption, C = computed, D = data, M = from memory (verify)."),
        _("Sources and assumption texts are cited in their original language."),
        _("Method: {method}; seed {seed}.").format(method=res.method, seed=seed),
    ]
    return b

