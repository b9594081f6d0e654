"""Dutch gross value added by manufacturing division (NACE Rev. 2 / SBI 2008 two-digit) for the national list.

**Data gap.** The vendored CBS extract (``data/raw/cbs_nl_value_added/``) has NL value added only by
section (B, C, D, E, F, total); the manufacturing divisions C10–C33 could not be recovered (see its
PROVENANCE.md). Until a CBS table 85867NED extract is dropped into that folder, :func:`nl_value_added`
returns a **proxy**, labelled in a ``basis`` column that every result carries into its output:

    VA_NL,s (proxy) = VA_EU,s · VA_NL,C / Σ_{s' ∈ C-divisions of the EU table} VA_EU,s'

i.e. the EU sector value added of the 2023 CRM study's end-use table (the modal value per NACE code,
because a few extracted rows are shifted) scaled by the Netherlands' manufacturing (section C) value added
relative to the sum of the EU divisions in that table. The proxy assumes the Dutch manufacturing structure
equals the EU's; it changes the level (M EUR) but not the ranking of materials on the EI axis. Assumption
parameters are listed in ``criticality/data/nl_va_proxy_assumptions.csv``.

When a file ``85867NED*.csv`` (StatLine CSV download or ``cbsodata`` export, taken as-is) is present,
:func:`read_cbs_85867ned` parses it and the real division values replace the proxy (``basis =
"CBS 85867NED <year>"``); combined CBS rows (e.g. "24-25") are split over their divisions pro rata to the
EU values, and flagged.

References
----------
.. [1] CBS StatLine 85867NED "Productie- en inkomenscomponenten bbp; bedrijfstak; nr" (national accounts),
   CC BY 4.0; section-level values in ``data/raw/cbs_nl_value_added/nl_gva_by_nace.csv`` (85925ENG 2023).
.. [2] European Commission (2023), Study on the critical raw materials for the EU, Appendix 6 (EU VA per
   NACE sector in the end-use table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.errors import DataError

PROXY_LABEL = "proxy: EU sector VA × NL/EU manufacturing VA ratio (CBS C-divisions missing)"


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


def nl_value_added(end_use: pd.DataFrame, *, year: int | None = None, folder: Path | None = None) -> NlValueAdded:
    """NL VA per NACE division for the sectors of the end-use table: CBS 85867NED if present, else the proxy.

    Parameters
    ----------
    end_use : store table ``end_use`` (``nace``, ``va_meur``) — the EU sector VA.
    year : CBS year (default: the latest in the file; for the proxy the latest year with section C).
    folder : where to look for ``85867NED*.csv`` (default ``data/raw/cbs_nl_value_added``).
    """
    from crmsec.sources import raw_dir

    folder = folder or raw_dir() / "cbs_nl_value_added"
    eu_va = eu_sector_va(end_use)
    cbs_file = _find_cbs_file(folder) if folder.exists() else None
    if cbs_file is not None:
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
