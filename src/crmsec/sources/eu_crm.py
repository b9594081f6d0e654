"""EU criticality assessments: 2017 study tables, 2023 study appendices, 2023 per-material results.

Sources
-------
[1] European Commission / Deloitte, BGS, BRGM, TNO (2017). Study on the review of the list of Critical Raw
    Materials — Criticality Assessments. doi:10.2873/876644. Table 3 (pp. 33–35) and Table 18 (pp. 79–80),
    parsed into ``eu_crm_2017_table3_table18.csv``.
[2] European Commission (2023). Study on the critical raw materials for the EU 2023 — Final Report.
    doi:10.2873/725585. Annex 4 (SR/EI 2011–2023), Appendix 6 (material use shares, NACE value added),
    Appendix 7 (global and EU supply shares with trade variable t); unofficial extraction by
    E. Emilsson (GitHub erikemilsson/EU-Critical-Raw-Materials-CRM-Reports-Datasets).
[3] Meyer, O., Pehlken, A. CritMAT seeds ``eureport_results.csv``, ``eureport_tradeparameters.csv``
    (EU 2023 per-stage SR, SI, IR, EoL-RIR, t ≠ 1), doi:10.5281/zenodo.20489683.

Notes
-----
* Shares: "1.5%" -> 0.015; "<0.1%" -> 0.0005 (midpoint of [0, 0.1 %]) with ``share_flag = lt_0.1pct``;
  "6" (no % sign, one EU sourcing row) read as 6 % with flag ``no_percent_sign``; ">0%" -> NaN, ``gt_0pct``.
* Percent columns of [1] and [3] (IR, EoL-RIR) are kept in percent (``*_pct``); SR, EI, SI are dimensionless.
* "-" in Annex 4 (not assessed that year) -> NaN with ``value_flag = not_assessed``.
* Known defects of [3], repaired or flagged in ``value_flag``: the ``LREE`` row has "281%" as primary SR (-> NaN,
  ``defect``); rows whose primary SR sits in the refined data-case column (Coking coal, Diatomite, Magnesite,
  Natural cork, Strontium) are shifted back (``repaired_shift``); "EU" as data case -> ``EUonly``
  (``repaired_case``); the duplicated Tungsten row is dropped.
* Country spellings of [2] that the registry cannot know ("Brasilia", "Turkyie", "Congo, D.R.") are corrected
  by ``eu2023`` rows of ``registry/country_aliases.csv``.
* Stages: E -> extraction, P -> processing; ``primary`` -> extraction, ``refined`` -> processing.
* VA of Appendix 6 is in million EUR (``va_meur``); ``nace`` is the NACE Rev. 2 two-digit code (e.g. C23).
  Applications without a sector ("Other") have empty ``nace`` and NaN ``va_meur`` with ``va_flag = no_sector``
  (the EU method leaves them out of EI).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError
from crmsec.registry.materials import resolve_materials
from crmsec.sources import raw_path
from crmsec.sources._util import parse_numbers, parse_percent, resolve_country_names

log = logging.getLogger(__name__)
DIR_2017 = "eu_crm_2017_study"
DIR_2023 = "eu_crm_2023_assessment"
DIR_RES = "eu_crm_2023_results"
_STAGE = {"E": "extraction", "P": "processing", "Extraction": "extraction", "Processing": "processing",
          "primary": "extraction", "refined": "processing"}
_CASES = {"GS+EU", "GSonly", "EUonly"}
#: Spelling defects of the PDF extraction [2], corrected before the country registry resolves the name
#: ("Brasilia" is Brazil's capital, used for the country in one row; "Turkyie" is a typo of Türkiye).

#: 2017 table column -> tidy column.
COLUMN_MAP_2017 = {"material": "material", "stage_assessed": "stage_assessed", "SR": "sr", "EI": "ei",
                   "IR_pct": "ir_pct", "EoL_RIR_pct": "eol_rir_pct", "supply_used_in_SR": "supply_case",
                   "SI_EI": "si_ei", "SI_SR": "si_sr", "HHI_WGI_t_GS": "hhi_wgi_t_gs", "HHI_WGI_t_EU28": "hhi_wgi_t_eu"}
#: 2023 results column -> tidy column.
COLUMN_MAP_RESULTS = {
    "material_name": "material", "supply_risk": "sr", "economic_importance": "ei", "eu_used_stage": "stage_assessed",
    "eu_stages": "stages_assessed", "eu_used_supply_primary": "supply_case_extraction",
    "supply_risk_primary": "sr_extraction", "eu_used_supply_refined": "supply_case_processing",
    "supply_risk_refined": "sr_processing", "si_ei": "si_ei", "si_sr": "si_sr",
    "import_reliance_primary": "ir_pct", "import_reliance_refined": "ir_processing_pct", "end_of_life": "eol_rir_pct",
}


def _read_csv(file: Path, columns: list[str], encoding: str = "utf-8") -> pd.DataFrame:
    if not file.is_file():
        raise DataError("EU CRM data file not found", file=file, hint="restore it under data/raw/ or set CRMSEC_RAW_DIR")
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding=encoding)
    except UnicodeDecodeError:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="cp1252")
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise DataError("column missing", file=file, row=1, field=missing[0],
                        hint=f"expected columns: {', '.join(columns)}")
    raw["row"] = np.arange(len(raw)) + 2
    return raw


def _materials(raw: pd.DataFrame, col: str, source: str, file: Path) -> tuple[pd.DataFrame, pd.Series]:
    res = resolve_materials(raw[col], source, file=file, rows=raw["row"].to_numpy(), field=col)
    keep = ~res["ignored"].to_numpy()
    if (~keep).any():
        log.info("%s: dropped %d rows of ignored names (ignored_names.csv)", file, int((~keep).sum()))
    return raw[keep].copy(), res.loc[keep, "material_id"]


def _num(raw: pd.DataFrame, col: str, file: Path) -> tuple[pd.Series, pd.Series]:
    return parse_numbers(raw[col], file=file, field=col, rows=raw["row"].to_numpy())


def read_crms_over_time(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """SR and EI per material and assessment year 2011–2023 (Annex 4 of [2])."""
    file = Path(path) if path is not None else raw_path(DIR_2023, "dimension_CRMsOverTime.csv")
    raw = _read_csv(file, ["Material", "Year", "SR", "EI"])
    raw, mid = _materials(raw, "Material", "eu2023", file)
    sr, f_sr = _num(raw, "SR", file)
    ei, f_ei = _num(raw, "EI", file)
    year = pd.to_numeric(raw["Year"], errors="coerce")
    if year.isna().any():
        pos = int(np.flatnonzero(year.isna().to_numpy())[0])
        raise DataError("year is not a number", file=file, row=int(raw["row"].iloc[pos]), field="Year",
                        value=raw["Year"].iloc[pos])
    out = pd.DataFrame({"material_id": mid.to_numpy(), "year": year.astype(int).to_numpy(), "stage_assessed": "",
                        "sr": sr.to_numpy(), "ei": ei.to_numpy(),
                        "value_flag": np.where((f_sr != "") | (f_ei != ""), f_sr.where(f_sr != "", f_ei), ""),
                        "source": "eu-crm-2023-annex4"})
    return out, {"rows": len(out)}


def read_2017_table(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """EU 2017 per-material results and inputs (SR, EI, IR, EoL-RIR, SI, HHI_WGI_t) from [1]."""
    file = Path(path) if path is not None else raw_path(DIR_2017, "eu_crm_2017_table3_table18.csv")
    raw = _read_csv(file, list(COLUMN_MAP_2017))
    raw, mid = _materials(raw, "material", "eu2017", file)
    out = pd.DataFrame({"material_id": mid.to_numpy(), "year": 2017,
                        "stage_assessed": raw["stage_assessed"].map(_STAGE).fillna("").to_numpy()})
    for src, dst in COLUMN_MAP_2017.items():
        if dst in ("material", "stage_assessed", "supply_case"):
            continue
        out[dst] = _num(raw, src, file)[0].to_numpy()
    out["supply_case"] = raw["supply_used_in_SR"].str.replace("GS only", "GSonly").str.replace(
        "EUS only", "EUonly").str.replace("GS+EUS", "GS+EU").to_numpy()
    out["value_flag"] = ""
    out["source"] = "eu-crm-2017-table3"
    return out, {"rows": len(out)}


def read_2023_results(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """EU 2023 per-material results with per-stage SR and inputs from [3] (defects repaired and flagged)."""
    file = Path(path) if path is not None else raw_path(DIR_RES, "eureport_results.csv")
    raw = _read_csv(file, list(COLUMN_MAP_RESULTS))
    dup = raw.duplicated(list(COLUMN_MAP_RESULTS))
    raw = raw[~dup]
    raw, mid = _materials(raw, "material_name", "eu2023_results", file)
    flags = pd.Series("", index=raw.index, dtype=object)
    # shifted cells: a number in the refined data-case column is the primary-stage SR
    case_ref = raw["eu_used_supply_refined"].str.strip()
    shifted = pd.to_numeric(case_ref, errors="coerce").notna() & raw["supply_risk_primary"].str.strip().eq("")
    raw.loc[shifted, "supply_risk_primary"] = case_ref[shifted]
    raw.loc[shifted, "eu_used_supply_refined"] = ""
    flags[shifted] = "repaired_shift"
    eu_case = raw["eu_used_supply_refined"].str.strip().eq("EU")
    raw.loc[eu_case, "eu_used_supply_refined"] = "EUonly"
    flags[eu_case] = "repaired_case"
    pct = raw["supply_risk_primary"].str.contains("%")
    flags[pct] = "defect:supply_risk_primary=" + raw.loc[pct, "supply_risk_primary"]
    raw.loc[pct, "supply_risk_primary"] = ""
    out = pd.DataFrame({"material_id": mid.to_numpy(), "year": 2023,
                        "stage_assessed": raw["eu_used_stage"].map(_STAGE).fillna("").to_numpy()})
    for src, dst in COLUMN_MAP_RESULTS.items():
        if dst in ("material", "stage_assessed", "stages_assessed", "supply_case_extraction", "supply_case_processing"):
            continue
        out[dst] = _num(raw, src, file)[0].to_numpy()
    out["stages_assessed"] = raw["eu_stages"].to_numpy()
    for col, dst in (("eu_used_supply_primary", "supply_case_extraction"),
                     ("eu_used_supply_refined", "supply_case_processing")):
        case = raw[col].str.strip()
        bad = ~case.isin(_CASES | {""})
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError("unknown SR data case", file=file, row=int(raw["row"].iloc[pos]), field=col,
                            value=case.iloc[pos], hint="use GS+EU, GSonly or EUonly")
        out[dst] = case.to_numpy()
    out["value_flag"] = flags.to_numpy()
    out["source"] = "eu-crm-2023-results"
    return out, {"rows": len(out), "duplicates_dropped": int(dup.sum()), "repaired_or_flagged": int((flags != "").sum())}


def read_supply_shares(path_global: str | Path | None = None, path_eu: str | Path | None = None
                       ) -> tuple[pd.DataFrame, dict]:
    """Global and EU-sourcing supply shares per material, stage and country with the trade variable t ([2] App. 7).

    Returns columns material_id, stage, scope (``global``/``eu``), country (ISO3), share (fraction), t,
    share_flag.
    """
    files = {"global": Path(path_global) if path_global is not None else raw_path(DIR_2023, "fact_GlobalSupplyShares&t.csv"),
             "eu": Path(path_eu) if path_eu is not None else raw_path(DIR_2023, "fact_EUSupplyShares&t.csv")}
    parts = []
    for scope, file in files.items():
        raw = _read_csv(file, ["Material", "Stage", "Country", "Share", "t"], encoding="cp1252")
        raw, mid = _materials(raw, "Material", "eu2023", file)
        stage = raw["Stage"].str.strip().map(_STAGE)
        if stage.isna().any():
            pos = int(np.flatnonzero(stage.isna().to_numpy())[0])
            raise DataError("unknown stage", file=file, row=int(raw["row"].iloc[pos]), field="Stage",
                            value=raw["Stage"].iloc[pos], hint="use E or P")
        share, flag = parse_percent(raw["Share"], file=file, field="Share", rows=raw["row"].to_numpy())
        t, _ = parse_numbers(raw["t"], file=file, field="t", rows=raw["row"].to_numpy())
        iso = resolve_country_names(raw["Country"].str.strip(), "eu2023", file=file, rows=raw["row"].to_numpy())
        parts.append(pd.DataFrame({"material_id": mid.to_numpy(), "stage": stage.to_numpy(), "scope": scope,
                                   "country": iso.to_numpy(), "share": share.to_numpy(), "t": t.to_numpy(),
                                   "share_flag": flag.to_numpy(), "source": "eu-crm-2023-app7"}))
    out = pd.concat(parts, ignore_index=True)
    return out, {"rows": len(out)}


def read_end_use(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Material use shares by application with the NACE sector and its EU value added ([2] App. 6; cp1252)."""
    file = Path(path) if path is not None else raw_path(DIR_2023, "fact_MaterialUseShares.csv")
    if not file.is_file():
        raise DataError("EU CRM data file not found", file=file)
    raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="cp1252")
    raw.columns = ["Material", "Application", "Share", "NACE sector", "VA"][: len(raw.columns)] + list(raw.columns[5:])
    if len(raw.columns) < 5:
        raise DataError("expected 5 columns (Material, Application, Share, NACE sector, VA)", file=file, row=1)
    raw["row"] = np.arange(len(raw)) + 2
    raw, mid = _materials(raw, "Material", "eu2023", file)
    share, flag = parse_percent(raw["Share"], file=file, field="Share", rows=raw["row"].to_numpy())
    va, va_flag = parse_numbers(raw["VA"], file=file, field="VA in million €", rows=raw["row"].to_numpy())
    sector = raw["NACE sector"].str.replace(r"\s+", " ", regex=True).str.strip()
    nace = sector.str.extract(r"^([A-Z]\d{0,2})\s*-\s*(.*)$")
    no_sector = sector.eq("")
    if (nace[0].isna() & ~no_sector).any():
        pos = int(np.flatnonzero((nace[0].isna() & ~no_sector).to_numpy())[0])
        raise DataError("NACE sector not of the form 'C23 - label'", file=file, row=int(raw["row"].iloc[pos]),
                        field="NACE sector", value=raw["NACE sector"].iloc[pos])
    out = pd.DataFrame({"material_id": mid.to_numpy(), "application": raw["Application"].str.strip().to_numpy(),
                        "share": share.to_numpy(), "share_flag": flag.to_numpy(), "nace": nace[0].fillna("").to_numpy(),
                        "nace_label": nace[1].fillna("").to_numpy(), "va_meur": va.to_numpy(),
                        "va_flag": np.where(no_sector, "no_sector", va_flag).astype(object),
                        "source": "eu-crm-2023-app6"})
    # extraction error upstream: a row repeated verbatim (magnesium "Construction 13 %, C25" twice, shares sum
    # to 1.13 instead of the published 100 %); exact duplicates (material, application, share, sector) are
    # dropped and counted, never silently kept
    dup = out.duplicated(["material_id", "application", "share", "nace"], keep="first").to_numpy()
    out = out[~dup].reset_index(drop=True)
    return out, {"rows": len(out), "duplicates_dropped": int(dup.sum())}


def read_trade_parameters(path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Trade variable t ≠ 1 per material, stage, scope and country ([3]; EU members' 0.8 is implicit)."""
    file = Path(path) if path is not None else raw_path(DIR_RES, "eureport_tradeparameters.csv")
    raw = _read_csv(file, ["material_name", "country_name", "parameter", "category", "scope"])
    raw, mid = _materials(raw, "material_name", "eu2023_results", file)
    t, _ = parse_numbers(raw["parameter"], file=file, field="parameter", rows=raw["row"].to_numpy())
    stage = raw["category"].map(_STAGE)
    if stage.isna().any():
        pos = int(np.flatnonzero(stage.isna().to_numpy())[0])
        raise DataError("unknown category", file=file, row=int(raw["row"].iloc[pos]), field="category",
                        value=raw["category"].iloc[pos], hint="use primary or refined")
    iso = resolve_country_names(raw["country_name"].str.strip(), "eu2023", file=file, rows=raw["row"].to_numpy())
    out = pd.DataFrame({"material_id": mid.to_numpy(), "stage": stage.to_numpy(),
                        "scope": raw["scope"].map({"world": "global", "eu": "eu"}).fillna(raw["scope"]).to_numpy(),
                        "country": iso.to_numpy(), "t": t.to_numpy(), "source": "eu-crm-2023-results"})
    return out, {"rows": len(out)}


def load_tables() -> dict[str, pd.DataFrame]:
    """Store tables: ``eu_assessment`` (Annex 4 2011–2023 + 2017 inputs + 2023 per-stage results, one row per
    material, year and source), ``eu_supply_shares``, ``end_use``, ``eu_trade_parameters``."""
    a, _ = read_crms_over_time()
    b, _ = read_2017_table()
    c, _ = read_2023_results()
    assessment = pd.concat([a, b, c], ignore_index=True)
    return {
        "eu_assessment": assessment,
        "eu_supply_shares": read_supply_shares()[0],
        "end_use": read_end_use()[0],
        "eu_trade_parameters": read_trade_parameters()[0],
    }
