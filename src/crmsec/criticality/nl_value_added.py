"""Dutch value added by NACE division and the NL value-added axis of the national list.

**Basis (default).** NL and EU-27 gross value added by industry from the OECD National Input-Output Tables,
2023 edition (latest year 2020; ``data/raw/oecd_iot_nl_eu_value_added/``, loader
:mod:`crmsec.sources.oecd_iot`), converted from current M USD to M EUR with the ECB annual reference rate
(``criticality/data/eur_usd_rates.csv``; 2020: 1.1422 USD per EUR). ``va_basis`` = ``"OECD IOT 2020, NL"``.
A CBS StatLine 85867NED extract dropped into ``data/raw/cbs_nl_value_added/`` is preferred when present
(:func:`read_cbs_85867ned`). The former "EU structure × NL/EU manufacturing ratio" proxy survives only as
the labelled alternative ``basis="eu_structure"`` drawn by the uncertainty model.

**One EI basis for every material** (:func:`va_exposed_nl`)::

    VA_exposed_NL,m = EI_EU,m · S/10 · ρ_m            [M EUR],  S = 204,200 M EUR (EU 2023 EI scaling)
    ρ_m = (1 − a_o) · Σ_s w_s ρ_s + a_o · ρ_C,   w_s = A_s·VA_EU,s / Σ_s' A_s'·VA_EU,s',  ρ_s = VA_NL,s / VA_EU,s

EI_EU,m·S/10 = SI_EI·Σ_s A_s·VA_EU,s is the EU value added exposed to m as published (EC 2023, App. 6 and
Annex 4: the complete end-use information of the study); ρ_m is the Netherlands' share of EU value added in
m's end-use sectors (OECD NL / OECD EU-27 sum, same currency and year, so the exchange rate cancels), ρ_C
the NL share of EU manufacturing, used for end-use shares without a sector (``a_o``, e.g. lutetium's
"Other" 99 %) and for materials without App. 6 end uses (flag ``va_structure = "no_end_uses"``). Groups
(LREE, HREE, PGM) use the mean ρ of their members, as the EU averages its members (methods §1.12).

References
----------
.. [1] OECD (2023), National Input-Output Tables, 2023 edition (CC BY 4.0).
.. [2] European Commission (2023), Study on the critical raw materials for the EU, App. 6 (end uses, EU VA
   per NACE sector) and Annex 4 (published EI); EI = SI_EI · Σ A_s·Q_s / S·10 (methods §1.11).
.. [3] ECB euro foreign exchange reference rates, annual averages (EXR.A.USD.EUR.SP00.A).
.. [4] CBS StatLine 85867NED (national accounts by industry), CC BY 4.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError

PROXY_LABEL = "proxy: EU sector VA × NL/EU manufacturing VA ratio (EU structure)"
OECD_LABEL = "OECD IOT {year}, NL"
#: EU 2023 end-use NACE codes → the OECD IOT industry that contains them
OECD_INDUSTRY = {"B05": "B05_06", "B06": "B05_06", "B07": "B07_08", "B08": "B07_08", "C10": "C10T12",
                 "C11": "C10T12", "C12": "C10T12", "C13": "C13T15", "C14": "C13T15", "C15": "C13T15",
                 "C17": "C17_18", "C18": "C17_18", "C31": "C31T33", "C32": "C31T33", "C33": "C31T33"}
#: OECD IOT manufacturing industries (section C)
OECD_C = ("C10T12", "C13T15", "C16", "C17_18", "C19", "C20", "C21", "C22", "C23", "C24", "C25", "C26", "C27",
          "C28", "C29", "C30", "C31T33")
OECD_LAST_YEAR = 2020


@dataclass(frozen=True)
class NlValueAdded:
    """NL VA per NACE division [M EUR] with its basis label and notes."""

    va_meur: pd.Series  # index: NACE code like "C28"
    basis: str
    year: int | None
    notes: tuple[str, ...]


def _nace_code(label: object) -> str | None:
    """'C28 - Manufacture of …' or '28 Machine-industrie' → 'C28'; 'B06 …' → 'B06'."""
    text = str(label).strip()
    m = re.match(r"^([A-U])\s*?(\d{2})\b", text)
    if m:
        return f"{m.group(1)}{m.group(2)}"
    m = re.match(r"^(\d{2})\b", text)
    if m:
        n = int(m.group(1))
        section = "B" if 5 <= n <= 9 else "C" if 10 <= n <= 33 else "D" if n == 35 else "E" if 36 <= n <= 39 else "X"
        return f"{section}{m.group(1)}"
    return None


def eu_sector_va(end_use: pd.DataFrame) -> pd.Series:
    """Canonical EU VA per NACE code [M EUR]: the modal ``va_meur`` of each code in the end-use table."""
    code = end_use["nace"].map(_nace_code)
    va = end_use.assign(_code=code).dropna(subset=["_code", "va_meur"])
    return va.groupby("_code")["va_meur"].agg(lambda s: s.mode().iloc[0]).astype(float)


def cbs_sections(path: Path | None = None) -> pd.DataFrame:
    """The vendored CBS section-level GVA table (``nl_gva_by_nace.csv``) as a frame."""
    from crmsec.sources import raw_path

    path = path or raw_path("cbs_nl_value_added", "nl_gva_by_nace.csv")
    frame = pd.read_csv(path)
    need = {"nace_code", "year", "gva_meur", "source_table"}
    if missing := need - set(frame.columns):
        raise DataError("CBS value-added file lacks columns", file=path, field=", ".join(sorted(missing)))
    return frame


def read_cbs_85867ned(path: Path, year: int | None = None) -> tuple[pd.Series, int]:
    """Parse a CBS 85867NED extract as downloaded (StatLine CSV, ';' or ',' separated, or cbsodata export).

    Recognised columns: a branch column (name contains "Bedrijfstak" / "SBI"), a period column ("Perioden",
    values like "2023" or "2023*"), and the GVA column (name contains "toegevoegde waarde" or
    "ToegevoegdeWaarde", basic prices, current prices, M EUR). Returns (VA per NACE code, year).
    """
    raw = None
    for sep in (";", ","):
        try:
            cand = pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError):
            cand = pd.read_csv(path, sep=sep, dtype=str, encoding="cp1252")
        if cand.shape[1] > 2:
            raw = cand
            break
    if raw is None:
        raise DataError("cannot read CBS 85867NED extract (expected ';' or ',' separated columns)", file=path)
    cols = {c: c.lower().replace(" ", "") for c in raw.columns}
    branch = next((c for c, k in cols.items() if "bedrijfstak" in k or "sbi" in k), None)
    period = next((c for c, k in cols.items() if "perioden" in k or "period" in k), None)
    gva = next((c for c, k in cols.items() if "toegevoegdewaarde" in k and "bruto" in k), None)
    gva = gva or next((c for c, k in cols.items() if "toegevoegdewaarde" in k), None)
    if not (branch and period and gva):
        raise DataError("CBS 85867NED extract: branch, period or gross-value-added column not found", file=path,
                        field=", ".join(raw.columns[:8]),
                        hint="download topic 'Bruto toegevoegde waarde basisprijzen' (werkelijke prijzen, mln euro)")
    frame = pd.DataFrame({
        "code": raw[branch].map(_nace_code),
        "label": raw[branch],
        "year": pd.to_numeric(raw[period].str.extract(r"(\d{4})")[0], errors="coerce"),
        "gva": pd.to_numeric(raw[gva].str.replace(",", ".", regex=False).str.replace(r"[^\d.\-]", "", regex=True),
                             errors="coerce"),
    })
    frame = frame.dropna(subset=["year", "gva"])
    if frame.empty:
        raise DataError("CBS 85867NED extract has no numeric value-added rows", file=path, field=gva)
    y = int(year if year is not None else frame["year"].max())
    sub = frame[frame["year"] == y]
    # combined rows such as "24-25 Basismetaal en metaalproducten" become a range code
    ranges = sub[sub["label"].str.match(r"^\s*\d{2}-\d{2}\b")]
    va = sub.dropna(subset=["code"]).drop_duplicates("code").set_index("code")["gva"]
    for _, r in ranges.iterrows():
        lo, hi = map(int, re.findall(r"\d{2}", r["label"])[:2])
        va[f"C{lo:02d}-C{hi:02d}"] = r["gva"]
    return va.astype(float), y


def _find_cbs_file(folder: Path) -> Path | None:
    hits = sorted(folder.glob("85867NED*.csv")) + sorted(folder.glob("85867ENG*.csv"))
    return hits[0] if hits else None


def nl_value_added(end_use: pd.DataFrame, *, year: int | None = None, folder: Path | None = None,
                   basis: str = "oecd", iot: pd.DataFrame | None = None) -> NlValueAdded:
    """NL VA per NACE division [M EUR] for the sectors of the end-use table.

    ``basis="oecd"`` (default): a CBS 85867NED extract in ``folder`` when present, else the OECD IOT
    (latest year ≤ ``year``, ≤ 2020) in M EUR; codes inside a combined OECD industry (C10/C11 in C10T12,
    C32 in C31T33) are split pro rata to the EU VA of the end-use table (flagged in the notes).
    ``basis="eu_structure"``: the retired proxy (EU sector VA × NL/EU manufacturing ratio), labelled.
    """
    from crmsec.sources import raw_dir

    folder = folder or raw_dir() / "cbs_nl_value_added"
    eu_va = eu_sector_va(end_use)
    cbs_file = _find_cbs_file(folder) if folder.exists() else None
    if basis == "oecd" and cbs_file is None:
        r = sector_ratios(end_use, iot, year=year)
        va = r.va_nl_meur.copy()
        notes = list(r.notes)
        ind = pd.Series({c: oecd_industry(c) for c in va.index})
        for industry, codes in ind.groupby(ind).groups.items():
            if len(codes) > 1:
                w = eu_va.reindex(codes) / eu_va.reindex(codes).sum()
                va.loc[codes] = va.loc[codes] * w
                notes.append(f"{', '.join(codes)}: OECD industry {industry} split pro rata to EU VA")
        return NlValueAdded(va.rename("va_nl_meur"), r.basis, r.year, tuple(notes))
    if cbs_file is not None and basis == "oecd":
        va, y = read_cbs_85867ned(cbs_file, year)
        out = pd.Series(np.nan, index=eu_va.index)
        notes = [f"NL VA by division from {cbs_file.name} ({y})"]
        for code in eu_va.index:
            if code in va.index:
                out[code] = va[code]
                continue
            num = int(code[1:]) if code[1:].isdigit() else None
            for rc in (c for c in va.index if "-" in c):
                lo, hi = (int(x[1:]) for x in rc.split("-"))
                if num is not None and lo <= num <= hi:
                    members = [c for c in eu_va.index if c[1:].isdigit() and lo <= int(c[1:]) <= hi]
                    w = eu_va[members] / eu_va[members].sum()
                    out[code] = va[rc] * float(w[code])
                    notes.append(f"{code}: split from CBS row {rc} pro rata to EU VA")
        return NlValueAdded(out.rename("va_nl_meur"), f"CBS 85867NED {y}", y, tuple(notes))
    sections = cbs_sections()
    c_rows = sections[sections["nace_code"] == "C"].sort_values("year")
    if year is not None:
        c_rows = c_rows[c_rows["year"] <= year] if (c_rows["year"] <= year).any() else c_rows
    if c_rows.empty:
        raise DataError("no NL manufacturing (section C) value added in the CBS file",
                        file=folder / "nl_gva_by_nace.csv", field="nace_code", value="C")
    c = c_rows.iloc[-1]
    c_divs = [k for k in eu_va.index if k.startswith("C")]
    ratio = float(c["gva_meur"]) / float(eu_va[c_divs].sum())
    notes = (
        PROXY_LABEL,
        f"NL section C GVA {int(c['year'])} = {c['gva_meur']:,.0f} M EUR ({c['source_table']}, provisional)",
        f"EU VA of the {len(c_divs)} C-divisions in the 2023 end-use table = {eu_va[c_divs].sum():,.0f} M EUR",
        f"ratio = {ratio:.4f}; non-C sectors (B06, B09) scaled by the same ratio",
        "drop a CBS 85867NED CSV into data/raw/cbs_nl_value_added/ to replace the proxy",
    )
    return NlValueAdded((eu_va * ratio).rename("va_nl_meur"), PROXY_LABEL, int(c["year"]), notes)


def assumptions_table() -> pd.DataFrame:
    """The labelled assumption table of the proxy (``criticality/data/nl_va_proxy_assumptions.csv``)."""
    path = Path(str(resources.files("crmsec.criticality").joinpath("data/nl_va_proxy_assumptions.csv")))
    return pd.read_csv(path)


def va_exposed(end_use: pd.DataFrame, va_nl: pd.Series, si_ei: pd.Series) -> pd.DataFrame:
    """NL value added exposed per material: SI_EI · Σ_applications A · VA_NL,s(application) [M EUR].

    Returns ``material_id``, ``va_exposed_meur``, ``top_sector`` (NACE code with the largest A·VA) and
    ``top_sector_share`` (its share of the sum).
    """
    f = end_use.dropna(subset=["share"]).assign(_code=lambda d: d["nace"].map(_nace_code))
    f["_aq"] = f["share"].astype(float) * f["_code"].map(va_nl).astype(float)
    by = f.groupby(["material_id", "_code"])["_aq"].sum(min_count=1)
    total = by.groupby(level=0).sum(min_count=1)
    top = by.groupby(level=0).idxmax().map(lambda t: t[1] if isinstance(t, tuple) else None)
    top_share = by.groupby(level=0).max() / total
    si = si_ei.reindex(total.index).astype(float)
    return pd.DataFrame({
        "material_id": total.index,
        "va_exposed_meur": (si * total).to_numpy(),  # SI_EI · Σ A_s · VA_NL,s (methods §1.14, EI_NL)
        "top_sector": top.reindex(total.index).to_numpy(),
        "top_sector_share": top_share.to_numpy(),
    })


# ------------------------------------------------------------------------------------------------------
# OECD IOT basis (default) and the one EI formula of the NL list
# ------------------------------------------------------------------------------------------------------


_EUR_USD_CSV = "data/eur_usd_rates.csv"


def eur_usd_rates() -> pd.Series:
    """ECB annual average USD per EUR by year (``criticality/data/eur_usd_rates.csv``)."""
    path = Path(str(resources.files("crmsec.criticality").joinpath(_EUR_USD_CSV)))
    return pd.read_csv(path).set_index("year")["usd_per_eur"]


def usd_per_eur(year: int) -> float:
    """ECB annual average USD per EUR (:func:`eur_usd_rates`); DataError outside its years."""
    rates = eur_usd_rates()
    if int(year) not in rates.index:
        path = Path(str(resources.files("crmsec.criticality").joinpath(_EUR_USD_CSV)))
        raise DataError(f"no EUR/USD rate for {year}", file=path, field="year", value=year,
                        hint="add the ECB annual average (EXR.A.USD.EUR.SP00.A) for that year")
    return float(rates[int(year)])


def oecd_industry(code: str) -> str:
    """End-use NACE code → OECD IOT industry (``C20`` → ``C20``, ``C32`` → ``C31T33``)."""
    return OECD_INDUSTRY.get(code, code)


def oecd_va(iot: pd.DataFrame, unit: str, years: tuple[int, ...]) -> pd.Series:
    """Mean gross value added [M USD] per OECD industry of ``unit`` (``NLD`` / ``EU27``) over ``years``."""
    f = iot[(iot["country"] == unit) & (iot["measure"] == "VALU") & iot["year"].isin(years)]
    if f.empty:
        raise DataError(f"OECD IOT has no value added for {unit} in {years}", field="year",
                        hint="rebuild the store (`crmsec data build`); the OECD IOT ends in 2020")
    return f.groupby("industry")["value_musd"].mean()


def load_oecd_iot() -> pd.DataFrame:
    """The vendored OECD IOT tables (for callers without a store table)."""
    from crmsec.sources import oecd_iot

    return oecd_iot.load_tables()["oecd_iot_industry"]


@dataclass(frozen=True)
class SectorRatios:
    """NL share of EU value added per end-use NACE code (ρ_s) and of EU manufacturing (ρ_C), with the NL VA."""

    rho: pd.Series  # index: end-use NACE code
    rho_c: float
    va_nl_meur: pd.Series  # NL VA [M EUR] per end-use NACE code (combined OECD industries: whole industry)
    basis: str
    year: int | None
    notes: tuple[str, ...]


def sector_ratios(end_use: pd.DataFrame, iot: pd.DataFrame | None, *, year: int | None = None,
                  basis: str = "oecd", years_mean: int = 1, folder: Path | None = None) -> SectorRatios:
    """ρ_s per end-use NACE code for a VA ``basis``.

    ``oecd``: OECD IOT NL / EU-27 sum of the latest year ≤ ``year`` (≤ 2020), averaged over ``years_mean``
    years; a CBS 85867NED extract in ``folder`` replaces the NL numerator (EUR, converted to USD at the ECB
    rate of its year). ``eu_structure``: ρ_s = ρ_C for every sector (the retired proxy; ranks the VA axis as
    the published EU EI).
    """
    from crmsec.sources import raw_dir

    iot = iot if iot is not None else load_oecd_iot()
    y = min(int(year) if year is not None else OECD_LAST_YEAR, OECD_LAST_YEAR)
    yrs = tuple(range(y - years_mean + 1, y + 1))
    nl, eu_ = oecd_va(iot, "NLD", yrs), oecd_va(iot, "EU27", yrs)
    rho_c = float(nl.reindex(OECD_C).sum() / eu_.reindex(OECD_C).sum())
    codes = sorted({c for c in end_use["nace"].map(_nace_code).dropna().unique()})
    ind = pd.Series({c: oecd_industry(c) for c in codes})
    rate = float(np.mean([usd_per_eur(v) for v in yrs]))
    nl_s = ind.map(nl).astype(float)
    label = OECD_LABEL.format(year=y if years_mean == 1 else f"{yrs[0]}–{yrs[-1]}")
    notes = [f"NL value added by division: {label} (OECD National IOT 2023 ed., VALU, current prices), "
             f"M USD → M EUR at {rate:.4f} USD/EUR (ECB annual average)",
             f"NL share of EU-27 manufacturing value added ρ_C = {rho_c:.4f} (OECD IOT {label[9:13]})"]
    folder = folder or raw_dir() / "cbs_nl_value_added"
    cbs_file = _find_cbs_file(folder) if basis == "oecd" and folder.exists() else None
    if cbs_file is not None:
        va_cbs, yc = read_cbs_85867ned(cbs_file, year)
        have = ind.index.intersection(va_cbs.index)
        nl_s.loc[have] = va_cbs[have].to_numpy(float) * usd_per_eur(min(yc, 2024))
        label = f"CBS 85867NED {yc}, NL"
        notes.insert(0, f"NL value added by division from {cbs_file.name} ({yc}), preferred over the OECD IOT")
    rho = nl_s / ind.map(eu_).astype(float)
    if basis == "eu_structure":
        rho = pd.Series(rho_c, index=rho.index)
        label = PROXY_LABEL
        notes = [PROXY_LABEL, f"ρ_s = ρ_C = {rho_c:.4f} for every sector (alternative drawn by the uncertainty model)"]
    elif basis != "oecd":
        raise DataError(f"unknown value-added basis {basis!r}", field="basis", hint="use 'oecd' or 'eu_structure'")
    return SectorRatios(rho.astype(float), rho_c, (nl_s / rate).rename("va_nl_meur"), label, y, tuple(notes))


def end_use_share_check(end_use: pd.DataFrame, tol: float = 0.02) -> pd.DataFrame:
    """Per material: sum of the App. 6 end-use shares, ``ok`` (|sum − 1| ≤ ``tol``) and the flag reason
    (``criticality/data/end_use_share_flags.csv``) for the materials outside the tolerance."""
    path = Path(str(resources.files("crmsec.criticality").joinpath("data/end_use_share_flags.csv")))
    flags = pd.read_csv(path).set_index("material_id")["reason"]
    s = end_use.groupby("material_id")["share"].sum(min_count=1)
    out = pd.DataFrame({"material_id": s.index, "share_sum": s.to_numpy(float)})
    out["ok"] = (out["share_sum"] - 1.0).abs() <= tol + 1e-9
    out["flag_reason"] = out["material_id"].map(flags).fillna("")
    return out


def material_ratios(end_use: pd.DataFrame, ratios: SectorRatios, groups: dict[str, list[str]]) -> pd.DataFrame:
    """ρ_m per material (see module doc) with ``top_sector``/``top_sector_share`` and ``va_structure``.

    Materials with App. 6 rows get ``va_structure = "end_uses"``; groups the mean of their members
    (``"group_mean"``); materials without end uses are added by the caller with ρ_C (``"no_end_uses"``).
    """
    f = end_use.dropna(subset=["share"]).assign(_code=lambda d: d["nace"].map(_nace_code))
    eu_va = eu_sector_va(end_use)
    sect = f[f["_code"].notna()].copy()
    sect["_w"] = sect["share"].astype(float) * sect["_code"].map(eu_va).astype(float)
    sect["_wr"] = sect["_w"] * sect["_code"].map(ratios.rho).astype(float)
    by = sect.groupby(["material_id", "_code"])[["_w", "_wr"]].sum()
    w_tot = by["_w"].groupby(level=0).sum()
    rho_sect = by["_wr"].groupby(level=0).sum() / w_tot
    total = f.groupby("material_id")["share"].sum()
    a_other = (f[f["_code"].isna()].groupby("material_id")["share"].sum().reindex(total.index).fillna(0.0) / total)
    rho_m = (1 - a_other) * rho_sect.reindex(total.index).fillna(ratios.rho_c) + a_other * ratios.rho_c
    # the sector carrying the largest NL exposure A_s·VA_NL,s
    nl_w = by["_wr"]
    top = nl_w.groupby(level=0).idxmax().map(lambda t: t[1] if isinstance(t, tuple) else None)
    out = pd.DataFrame({"rho": rho_m, "top_sector": top.reindex(total.index),
                        "top_sector_share": (nl_w.groupby(level=0).max() / nl_w.groupby(level=0).sum()).reindex(total.index),
                        "va_structure": "end_uses"})
    rows = []
    for g, members in groups.items():
        have = [m for m in members if m in out.index]
        if have:
            sub = out.loc[have]
            rows.append(pd.DataFrame({"rho": [float(sub["rho"].mean())],
                                      "top_sector": [sub["top_sector"].mode().iloc[0] if sub["top_sector"].notna().any() else None],
                                      "top_sector_share": [float(sub["top_sector_share"].mean())],
                                      "va_structure": [f"group_mean_of_{len(have)}"]}, index=[g]))
    out = pd.concat([out.drop(index=list(groups), errors="ignore"), *rows])
    out.index.name = "material_id"
    return out


def va_exposed_nl(ei_eu: pd.Series, rho: pd.DataFrame, rho_c: float, scaling_meur: float) -> pd.DataFrame:
    """VA_exposed_NL = EI_EU · S/10 · ρ_m [M EUR] for every material with a published EI (one formula)."""
    r = rho.reindex(ei_eu.index)
    missing = r["rho"].isna()
    r.loc[missing, "rho"] = rho_c
    r.loc[missing, "va_structure"] = "no_end_uses"
    return pd.DataFrame({
        "material_id": ei_eu.index,
        "va_exposed_meur": ei_eu.to_numpy(float) * scaling_meur / 10.0 * r["rho"].to_numpy(float),
        "va_eu_exposed_meur": ei_eu.to_numpy(float) * scaling_meur / 10.0,
        "rho_nl_eu": r["rho"].to_numpy(float),
        "top_sector": r["top_sector"].to_numpy(),
        "top_sector_share": r["top_sector_share"].to_numpy(float),
        "va_structure": r["va_structure"].to_numpy(),
    })
