"""Human labels for the ids and column keys that reach pages and briefings (English source, Dutch via the
Babel catalogs). ``label("e_npv", "nl")`` → "Verwachte NPV (EUR)"; an id not in the table is shown with
underscores as spaces (never as a raw snake_case key)."""

from __future__ import annotations

import re

from crmsec.api.i18n import N_, translator

LABELS: dict[str, str] = {
    # table columns
    "material": N_("Material"), "material_id": N_("Material"), "label": N_("Node"), "stage": N_("Stage"),
    "n_suppliers": N_("Suppliers"), "hhi": N_("HHI (0–1)"), "top_country": N_("Largest supplier"),
    "top_share": N_("Share of largest supplier"), "risk": N_("Risk score"), "source": N_("Source"),
    "reason": N_("Reason"), "reasons": N_("Reasons"), "sector": N_("Sector"), "nace": N_("NACE"),
    "nl_va_meur": N_("Dutch value added (M EUR)"), "eu_va_meur": N_("EU value added (M EUR)"),
    "chain_id": N_("Value chain"), "extraction": N_("Extraction"), "processing": N_("Processing"),
    "recycling": N_("Recycling"), "diversification": N_("Largest third-country share"),
    "largest_third_country": N_("Largest third country"), "nl_processing": N_("Dutch processing share"),
    "recycling_eol_rir_proxy": N_("Recycling (end-of-life recycling input rate, proxy)"),
    "worst_stage": N_("Stage of the largest third-country share"), "meets_65pct_cap": N_("Meets the 65 % cap"),
    "reference_period": N_("Reference period"),
    "year": N_("Year"), "score": N_("Score"), "rank": N_("Rank"), "on_list": N_("On the list"),
    "drivers": N_("Drivers"), "cause": N_("Cause"), "change": N_("Change"),
    # scenario results
    "region": N_("Region"), "NLD": N_("Netherlands"), "EU27": N_("EU-27"), "shortfall_share": N_("Share of supply lost"),
    "shortfall_t": N_("Tonnes lost"), "effective_days": N_("Effective days"), "days_to_stockout": N_("Days to stock-out"),
    "binding_stage": N_("Binding stage"), "binding_material": N_("Binding material"),
    "va_at_risk_meur": N_("Value added at risk (M EUR)"), "va_basis": N_("Basis of value added"), "mode": N_("Mode"),
    "depth": N_("Depth"), "duration_days": N_("Duration (days)"), "consumption": N_("Consumption"), "unit": N_("Unit"),
    "price_shock": N_("Price shock"), "mix_basis": N_("Basis of the supply mix"), "market": N_("world market"),
    "direct": N_("direct"), "bound": N_("Bound"), "upper": N_("upper bound"), "scenario_id": N_("Scenario"),
    "world_market_share": N_("world market share"), "eu27_sourcing_proxy": N_("EU-27 sourcing (proxy)"),
    # project registry fields
    "code": N_("Code"), "sponsor": N_("Promoter"), "countries": N_("Host countries"), "materials": N_("Materials"),
    "stages": N_("Stages"), "status": N_("Status"), "capacity": N_("Capacity"), "capacity_unit": N_("Capacity unit"),
    "capex_meur": N_("Capital expenditure (M EUR)"), "start_year": N_("Start year"),
    "evidence_level": N_("Evidence"), "source_url": N_("Source"),
    # appraisal summary
    "package": N_("Package"), "e_npv": N_("Expected equity NPV (M EUR)"), "npv_p10": N_("Equity NPV, P10 (M EUR)"),
    "npv_p50": N_("Equity NPV, median (M EUR)"), "npv_p90": N_("Equity NPV, P90 (M EUR)"),
    "p_npv_neg": N_("Probability of a loss"), "npv_es5": N_("Expected shortfall 5 % (M EUR)"),
    "irr_p50": N_("IRR, median"), "p_default": N_("Probability of debt default"),
    "public_cost_mean": N_("Public cost, mean (M EUR)"), "public_cost_p95": N_("Public cost, P95 (M EUR)"),
    "p_go": N_("Probability the investor goes ahead"), "additionality": N_("Additionality"),
    "payback_p50": N_("Payback, median (years)"),
    # scenario measures and stages
    "licensing_delay": N_("export licensing delay"), "ban": N_("export ban"),
    "chokepoint_closure": N_("closure of a shipping chokepoint"), "quota": N_("export quota"),
    "component": N_("components"), "*": N_("all materials"),
    "magnet_rees": N_("magnet rare earths"), "grid_and_water": N_("grid and water"),
    # reason codes and input names that reach drivers, reasons and notes
    "hhi_nl": N_("concentration of Dutch imports"), "ir_nl": N_("Dutch import reliance"),
    "nl_trade": N_("Dutch trade"), "eu_fallback": N_("EU values used as fallback"),
    "no_trade_no_production": N_("no trade and no production data"),
    "no_sector_va": N_("no sector value added"), "no_supplier_data": N_("no supplier data"),
    "eu_supply_shares": N_("EU supply shares"), "no_eu_sourcing_data_for_stage": N_("no EU sourcing data for this stage"),
    "no_eu_sourcing_data": N_("no EU sourcing data"), "no_eol_rir": N_("no end-of-life recycling rate"),
    "upper_bound": N_("upper bound"), "proxy": N_("proxy"), "no_stock_data": N_("stocks unknown"),
    "no_consumption": N_("consumption unknown"),
    "no_mix": N_("no sourcing mix or world production"), "mix_renormalised": N_("supplier shares rescaled to 100 %"),
    "world_production_proxy": N_("world production shares used (no sourcing mix)"),
    "no_stage_data": N_("no data for the stage the scenario hits"),
    "ore_export_only": N_("only ore exports count as lost"), "no_price": N_("no price effect computed"),
    "shortfall unknown": N_("shortfall unknown"),
    # scenario library names (data: translated by their English name)
    "china_gallium_germanium_2023": N_("China export licensing of gallium and germanium (2023)"),
    "china_graphite_2023": N_("China export permits for graphite (2023)"),
    "china_rare_earths_2025": N_("China export controls on medium and heavy rare earths and magnets (2025)"),
    "drc_cobalt_2025": N_("DR Congo suspension of cobalt exports (2025)"),
    "hormuz_closure": N_("Closure of the Strait of Hormuz (two-way: alumina in, aluminium and helium out)"),
    "indonesia_nickel_ore_ban": N_("Indonesia nickel-ore export ban"),
    "china_antimony_2024": N_("China export licensing of antimony (2024)"),
    "china_w_te_bi_mo_in_2025": N_(
        "China export licensing of tungsten, tellurium, bismuth, molybdenum and indium (Feb 2025)"),
    "china_oct2025_package": N_("China's October 2025 package (Ho, Er, Tm, Eu, Yb; battery materials; 0.1 % "
                                "extraterritorial rule) if in force"),
    "drc_cobalt_quota_2026": N_("DR Congo cobalt export quotas (from 16 Oct 2025; 96,600 t/yr in 2026-2027)"),
    "indonesia_nickel_intermediates": N_("Indonesia nickel-ore mining quota cuts constraining intermediates (NPI, "
                                         "matte, MHP)"),
    "malacca_closure": N_("Closure of the Strait of Malacca"),
    "red_sea_suez": N_("Red Sea / Suez disruption (Bab-el-Mandeb)"),
}

#: names that arrive as data (chain and sector names) — marked so the catalogs carry their Dutch form
DATA_NAMES = (
    N_("Aluminium"), N_("Lithium-ion batteries"), N_("Defence industry"), N_("Helium"), N_("NdFeB permanent magnets"),
    N_("Basic metals"), N_("Motor vehicles"), N_("Construction"), N_("Electrical equipment"),
    N_("Electrical equipment (incl. batteries)"), N_("Fabricated metal products"),
    N_("Fabricated metal products (incl. weapons and ammunition)"), N_("Machinery and equipment n.e.c."),
    N_("Machinery and equipment n.e.c. (incl. wind turbines)"), N_("Electricity supply"),
    N_("Human health activities"), N_("Scientific research and development"),
    N_("Computer, electronic and optical products"), N_("Other transport equipment (incl. military vehicles)"),
    N_("Other transport equipment (incl. aircraft, military vehicles)"),
    # chokepoints named by the scenario library (actor of a chokepoint closure)
    N_("Strait of Hormuz"), N_("Strait of Malacca"), N_("Red Sea / Suez"),
)


def label(key: object, lang: str = "en") -> str:
    """The human label of an id or column key in ``lang``."""
    text = str(key)
    if not text.strip():
        return text
    _ = translator(lang)
    if text in LABELS:
        return _(LABELS[text])
    return _(text) if " " in text else _(text.replace("_", " "))


#: engine notes and sentences shown on pages, with the wording the pages use
NOTES: dict[str, str] = {
    "NaN means no data (the reason column says why), never zero.":
        N_("– means no data (the reason says why; hover over the cell), never zero."),
    "no EU member listed (≥ 1 %) in the EU sourcing mix: value is an upper bound of 0–1 %":
        N_("no EU member listed (≥ 1 %) in the EU sourcing mix: value is an upper bound of 0–1 %"),
    "CRMA 2030 benchmarks (share of EU consumption; EU data 2016-2020 avg (EU CRM 2023 study); fallbacks: world "
    "production latest year, as labelled per row)":
        N_("CRMA 2030 benchmarks as shares of EU consumption; EU data: 2016–2020 average (EU CRM 2023 study); "
           "where missing: world production of the latest year, as labelled per row."),
}
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def humanise(value: object, lang: str = "en") -> object:
    """Engine text for a page: known sentences translated, ``code: detail`` parts shortened to the code's
    label, and any remaining snake_case id replaced by its label. Non-text values pass unchanged."""
    if not isinstance(value, str) or not value.strip():
        return value  # never gettext(""): that returns the catalog header
    _ = translator(lang)
    parts = []
    for part in (p.strip() for p in re.split(r" \| |; (?=[a-z][a-z0-9]*_[a-z0-9_]*: )", value)):
        if not part:
            continue
        if part in NOTES:
            parts.append(_(NOTES[part]))
            continue
        head, sep, _rest = part.partition(": ")
        if sep and (_SNAKE.fullmatch(head) or head in LABELS):
            parts.append(label(head, lang))
        else:
            parts.append(_SNAKE.sub(lambda m: label(m.group(0), lang), _(part)))
    return "; ".join(dict.fromkeys(p for p in parts if p))


def result_text(result: dict, key: str, lang: str = "en") -> str:
    """``title``/``description`` of a scenario result in ``lang`` (``<key>_nl`` for Dutch, English fallback)."""
    return str((result.get(f"{key}_nl") if lang == "nl" else None) or result.get(key) or "")


_BASE_RATE = re.compile(
    r"^base rate: (?P<n>\d+) (?P<who>[A-Z]{3}) measure date\(s\) on these materials (?P<a>[\d-]+)\.\.(?P<b>[\d-]+) "
    r"\((?P<t>[\d.]+) yr\) \[(?P<ids>[^\]]*)\]; λ = \(n \+ ½\)/T = (?P<lam>[\d.]+)/yr; "
    r"P = 1 − e\^−λ = (?P<p>[\d.]+)/yr \(probability of a NEW measure of this kind within a year, not of the "
    r"modelled one recurring\)$")


def basis_text(basis: object, lang: str = "en") -> str:
    """The annual-probability basis in ``lang``: the base-rate sentence of
    :func:`crmsec.scenarios.controls.base_rate` with localised numbers and dates; other text unchanged (Dutch
    texts come from the scenario's ``probability_basis_nl``)."""
    from crmsec.api.i18n import format_day, format_number

    s = str(basis or "")
    m = _BASE_RATE.match(s)
    if lang != "nl" or not m:
        return s
    _ = translator(lang)
    return _("base rate: {n} measure date(s) of {who} on these materials from {start} to {end} ({years} years) "
             "[{ids}]; λ = (n + ½)/T = {lam} per year; P = 1 − e^−λ = {p} per year (probability of a NEW measure of "
             "this kind within a year, not of the modelled one recurring)").format(
        n=m["n"], who=m["who"], start=format_day(m["a"], lang), end=format_day(m["b"], lang),
        years=format_number(float(m["t"]), 2, lang), ids=m["ids"], lam=format_number(float(m["lam"]), 3, lang),
        p=format_number(float(m["p"]), 2, lang))
