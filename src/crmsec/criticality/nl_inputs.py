"""Inputs of the Dutch national list: the EU's 34 (CRMA Annex II) at the EU's granularity, their Dutch
sourcing (:mod:`~crmsec.criticality.nl_trade_forms`) and Dutch value added (:mod:`~crmsec.criticality.nl_value_added`).

Candidates are the 34 entries of Regulation (EU) 2024/1252 Annex II; LREE, HREE and PGM are one entry each
(their elements stay visible through :func:`element_drilldown`), "bauxite/alumina/aluminium" is the EU
2023 ``aluminium`` assessment, "graphite" the EU 2023 natural-graphite assessment. A watch list of
non-Annex materials can be scored alongside (``watch``), flagged ``candidate_set = "watch"`` and never
given a list slot.

Per entry (methods §1.14): HHI_GS, EoL-RIR, SI_SR, SI_EI, SR_EU and EI_EU from the EU 2023 results (groups:
the mean of their members' inputs; published group SR/EI), HHI_NL from the NL sourcing mix of the form that
counts (EU partners t = 0.8, App. 7 t otherwise, scaled WGI ``eu2023`` over 5 years), IR_NL = 1 (no NL
production of these raw materials recorded), VA_exposed_NL = EI_EU·S/10·ρ_m (one formula for all). Where the
NL view is missing or below the materiality floor the EU SR is used and ``sr_source``/``nl_reason`` say why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmsec.criticality import eu_method as eu
from crmsec.criticality import national_list as nl
from crmsec.criticality import nl_trade_forms as F
from crmsec.criticality import nl_value_added as V
from crmsec.errors import InputError, StoreError

#: CRMA Annex II (Regulation (EU) 2024/1252), point → the registry material that carries the EU assessment
ANNEX_II: dict[str, str] = {
    "a": "antimony", "b": "arsenic", "c": "aluminium", "d": "baryte", "e": "beryllium", "f": "bismuth",
    "g": "boron", "h": "cobalt", "i": "coking_coal", "j": "copper", "k": "feldspar", "l": "fluorspar",
    "m": "gallium", "n": "germanium", "o": "hafnium", "p": "helium", "q": "hree", "r": "lree", "s": "lithium",
    "t": "magnesium", "u": "manganese", "v": "natural_graphite", "w": "nickel", "x": "niobium",
    "y": "phosphate_rock", "z": "phosphorus", "aa": "pgm", "ab": "scandium", "ac": "silicon_metal",
    "ad": "strontium", "ae": "tantalum", "af": "titanium_metal", "ag": "tungsten", "ah": "vanadium",
}
GROUPS = ("lree", "hree", "pgm")
#: default watch list offered by ``--candidates watch`` (non-Annex materials the EU assessed individually)
WATCH: tuple[str, ...] = ("indium", "selenium", "tellurium", "molybdenum", "zirconium")


@dataclass(frozen=True)
class NlOptions:
    """The analyst's choices behind the NL inputs (all drawn by the uncertainty model)."""

    window: int = 3
    look_through: bool = True
    floor_meur: float = F.DEFAULT_FLOOR_MEUR
    stage_rule: str = "value"
    va_basis: str = "oecd"
    va_years: int = 1
    wgi_years: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.window <= 10:
            raise InputError(f"--window must be 1–10 years, got {self.window}")
        if not (self.floor_meur >= 0 and np.isfinite(self.floor_meur)) or self.floor_meur > 1e4:
            raise InputError(f"--floor must be 0–10,000 M EUR per year, got {self.floor_meur}")


def _results(data) -> pd.DataFrame:
    from crmsec.criticality.pipeline import _by_source

    return _by_source(data.eu_assessment, "eu-crm-2023-results").drop_duplicates("material_id").set_index("material_id")


def candidates(data, watch: tuple[str, ...] = ()) -> pd.DataFrame:
    """The 34 Annex II entries (``candidate_set = "annex_ii"``) plus an optional watch list."""
    names = data.material_names()
    ids = list(ANNEX_II.values())
    rows = [{"material_id": m, "material": str(names.get(m, m)), "annex_point": f"({p})", "candidate_set": "annex_ii"}
            for p, m in ANNEX_II.items()]
    for m in watch:
        if m in ids:
            continue
        if m not in names.index:
            raise InputError(f"--candidates: unknown material '{m}'", hint="use registry material ids")
        rows.append({"material_id": m, "material": str(names.get(m, m)), "annex_point": "", "candidate_set": "watch"})
    return pd.DataFrame(rows)


def _eu_inputs(data, mats: list[str], groups: dict[str, list[str]]) -> pd.DataFrame:
    """HHI_GS (EU bottleneck stage), EoL-RIR, SI_SR, SI_EI, SR_EU, EI_EU per material; groups = member means."""
    from crmsec.criticality.pipeline import recompute_sr_2023

    res = _results(data)
    stage = res["stage_assessed"].replace("", "extraction")
    rec = recompute_sr_2023(data).set_index(["material_id", "stage"])["hhi_gs"]
    base = pd.DataFrame(index=pd.Index(sorted(set(res.index)), name="material_id"))
    base["stage"] = stage.reindex(base.index).fillna("extraction")
    base["hhi_gs"] = [rec.get((m, s), np.nan) for m, s in zip(base.index, base["stage"], strict=True)]
    base["eol_rir"] = res["eol_rir_pct"].reindex(base.index) / 100.0
    base["si_sr"] = res["si_sr"].reindex(base.index)
    base["si_ei"] = res["si_ei"].reindex(base.index)
    base["sr_eu"] = res["sr"].reindex(base.index)
    base["ei_eu"] = res["ei"].reindex(base.index)
    for g, members in groups.items():
        sub = base.loc[[m for m in members if m in base.index]]
        for c in ("hhi_gs", "eol_rir", "si_sr", "si_ei"):
            base.loc[g, c] = float(sub[c].mean())
        base.loc[g, "stage"] = sub["stage"].mode().iloc[0] if len(sub) else "extraction"
    return base.reindex(mats)


def nl_inputs_and_mix(data, year: int, opts: NlOptions | None = None, *, watch: tuple[str, ...] = (),
                      reporter: str = "NLD", ff: F.FormFlows | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inputs of SR_NL and of the NL value-added axis per candidate, and the sourcing mix (k EUR/yr)."""
    from crmsec.criticality.pipeline import group_members
    from crmsec.indicators.governance import hhi_wgi_t

    o = opts or NlOptions()
    if data.trade is None:
        raise StoreError("the store has no trade table; rebuild it with `crmsec data build`")
    years = list(range(year - o.window + 1, year + 1))
    avail = set(data.trade["year"].unique()) | set(getattr(data, "comext", None)["year"].unique()
                                                  if getattr(data, "comext", None) is not None else [])
    if not set(years) & avail:
        raise InputError(f"--year {year}: no trade data for {years[0]}–{years[-1]}; data cover "
                         f"{min(avail)}–{max(avail)}")
    cand = candidates(data, watch)
    groups = {g: m for g, m in group_members(data).items() if g in GROUPS}
    eu27 = data.eu27()
    ff = ff or F.form_flows(data.trade, getattr(data, "comext", None))
    summ, mix = F.nl_sourcing(ff, years, eu27, reporter=reporter, look_through=o.look_through,
                              floor_meur=o.floor_meur, stage_rule=o.stage_rule)
    summ = summ.set_index("material_id")
    base = _eu_inputs(data, list(cand["material_id"]), groups)
    wgi_last = int(data.governance["year"].max())
    wy1 = min(year, wgi_last)
    wgi = eu.scaled_wgi_window(data.governance, (wy1 - o.wgi_years + 1, wy1), "eu2023")
    sh = data.eu_supply_shares
    tglob = sh[sh["scope"] == "global"].set_index(["material_id", "stage", "country"])["t"]
    nl_prod = set()
    if data.production is not None:
        p = data.production
        nl_prod = set(p[(p["country"] == reporter) & p["year"].isin(years) & (p["quantity"] > 0)]["material_id"])
    rows = []
    for r in cand.itertuples(index=False):
        mid = r.material_id
        b = base.loc[mid]
        row = {"material_id": mid, "material": r.material, "annex_point": r.annex_point,
               "candidate_set": r.candidate_set, "stage": b["stage"], "trade_material_id": mid,
               **{c: b[c] for c in ("hhi_gs", "eol_rir", "si_sr", "si_ei", "sr_eu", "ei_eu")}}
        s = summ.loc[mid] if mid in summ.index else None
        for c in ("form_stage", "form_source", "form_codes", "imports_meur", "imports_min_meur", "n_partners",
                  "x_over_m", "hub"):
            row[c] = s[c] if s is not None else (np.nan if c.startswith("imports") or c == "x_over_m" else "")
        row["n_partners"] = int(s["n_partners"]) if s is not None else 0
        row["hub"] = bool(s["hub"]) if s is not None else False
        m = mix[mix["material_id"] == mid]
        tot = float(m["v"].sum())
        row.update({"hhi_nl": np.nan, "ir_nl": np.nan, "top_origin": "", "top_origin_share": np.nan,
                    "share_no_wgi_nl": np.nan, "via_eu_share": np.nan})
        if s is None:
            row["nl_reason"] = "no_trade_mapping"
        elif not str(s["years_covered"]):  # e.g. Comext-only forms before 2022: no data, not zero imports
            row["nl_reason"] = "form_not_covered_in_window"
        elif tot <= 0:
            row["nl_reason"] = "no_nl_imports"
        else:
            shares = m["v"].to_numpy(float) / tot
            part = m["partner"].to_numpy()
            j = int(np.argmax(shares))
            row["top_origin"], row["top_origin_share"] = str(part[j]), float(shares[j])
            row["via_eu_share"] = float(m["via_eu"].sum() / tot)
            if bool(s["below_floor"]):
                row["nl_reason"] = "below_materiality"
            elif mid in nl_prod:
                row["nl_reason"] = "nl_production_recorded"
            else:
                w = pd.Series(part).map(wgi).to_numpy(float)
                st = b["stage"]
                t = np.array([eu.EU_T if p in eu27 else float(tglob.get((mid, st, p), 1.0)) for p in part])
                ok = ~np.isnan(w)
                row["hhi_nl"] = float(hhi_wgi_t(shares[ok], w[ok], t[ok]))
                row["share_no_wgi_nl"] = float(shares[~ok].sum())
                row["ir_nl"] = 1.0
                row["nl_reason"] = "hub_material" if row["hub"] else ""
        rows.append(row)
    out = pd.DataFrame(rows)
    out = _add_value_added(data, out, year, o, groups)
    out.attrs["year"], out.attrs["window"], out.attrs["basis"] = year, years, "value (k EUR)"
    out.attrs["wgi_window_nl"] = (wy1 - o.wgi_years + 1, wy1)
    out.attrs["options"] = o
    out.attrs["floor_meur"] = o.floor_meur
    return out, mix


def _add_value_added(data, out: pd.DataFrame, year: int, o: NlOptions, groups: dict[str, list[str]]) -> pd.DataFrame:
    iot = getattr(data, "oecd_iot", None)
    ratios = V.sector_ratios(data.end_use, iot, year=year, basis=o.va_basis, years_mean=o.va_years)
    rho = V.material_ratios(data.end_use, ratios, groups)
    exp = V.va_exposed_nl(out.set_index("material_id")["ei_eu"], rho, ratios.rho_c, eu.EI_SCALING_2023_MEUR)
    exp = exp.set_index("material_id")
    for c in ("va_exposed_meur", "va_eu_exposed_meur", "rho_nl_eu", "top_sector", "top_sector_share", "va_structure"):
        out[c] = out["material_id"].map(exp[c]).to_numpy()
    out["va_basis"] = ratios.basis
    out["va_source"] = "eu_ei_x_nl_share"
    out.attrs["va_notes"] = (*ratios.notes,
                             "VA_exposed_NL = EI_EU(2023, published) × 204,200/10 × ρ_m (NL share of EU VA in the "
                             "material's end-use sectors); one formula for every entry")
    return out


def national_list(data, year: int, config: nl.ListConfig | None = None, opts: NlOptions | None = None,
                  *, watch: tuple[str, ...] = (), ff: F.FormFlows | None = None, **kwargs: object) -> pd.DataFrame:
    """The scored, ranked national list for a data year (every row carries ``va_basis``, ``imports_meur``,
    ``n_partners``, ``sr_source`` and ``nl_reason``); watch-list rows are scored but never on the list."""
    o = opts or _opts_from_kwargs(kwargs)
    inputs, _ = nl_inputs_and_mix(data, year, o, watch=watch, ff=ff)
    out = nl.score_materials(inputs, config)
    out.attrs.update(inputs.attrs)
    out["year"] = year
    first = ["rank", "material_id", "material", "score", "on_list", "sr_nl", "sr_source", "va_exposed_meur",
             "va_basis", "imports_meur", "n_partners", "drivers"]
    return out[first + [c for c in out.columns if c not in first]]


def _opts_from_kwargs(kwargs: dict) -> NlOptions:
    """Backwards-compatible keywords (``window``, ``look_through_eu``, ``floor_meur`` …) → :class:`NlOptions`."""
    kw = dict(kwargs)
    if "look_through_eu" in kw:
        kw["look_through"] = kw.pop("look_through_eu")
    kw.pop("basis", None)
    unknown = set(kw) - set(NlOptions.__dataclass_fields__)
    if unknown:
        raise InputError(f"unknown national-list option(s): {', '.join(sorted(unknown))}")
    return NlOptions(**kw)  # type: ignore[arg-type]


def list_diff(data_after, year: int, year_before: int, config: nl.ListConfig | None = None,
              data_before=None, *, after: pd.DataFrame | None = None, **kwargs: object) -> pd.DataFrame:
    """Diff of the national list between two data years (or vintages: pass ``data_before``)."""
    a = national_list(data_before or data_after, year_before, config, **kwargs)
    b = after if after is not None else national_list(data_after, year, config, **kwargs)
    return nl.diff_lists(a, b, label_before=str(year_before), label_after=str(year))


def element_drilldown(data, year: int, group: str, opts: NlOptions | None = None) -> pd.DataFrame:
    """The elements of an EU group (LREE, HREE, PGM) with their own EU SR/EI, HHI_GS and VA share — shown,
    never ranked for a list slot."""
    from crmsec.criticality.pipeline import group_members

    members = group_members(data).get(group)
    if not members:
        raise InputError(f"'{group}' is not an EU group; use lree, hree or pgm")
    base = _eu_inputs(data, members, {})
    base = base.reset_index().rename(columns={"index": "material_id"})
    base["group"] = group
    return base
