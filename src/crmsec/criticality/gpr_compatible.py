"""GeoPolRisk ``compatible`` mode over the store: geopolrisk-py 2.0.1 ``gprs_calc``, cell for cell.

Reads the library-view tables ``gpr_lib_*`` (:mod:`crmsec.sources.geopolrisk_lib`) and aggregates them in
DuckDB, in one query (the library's arithmetic included). No pandas and no numpy on this path (``--format csv|json`` and the table
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

from crmsec.errors import InputError, StoreError

CU_NORMALISER_LIBRARY = 0.409412948  # core.GeoPolRisk: "Average CF of copper for OECD countries 2017–2021"
NATURAL_GAS = "natural_gas"
COLUMNS = ("country", "material_id", "material", "year", "hhi", "wta", "score", "price_usd_per_kg", "cf",
           "cf_fixed_cu", "cf_same_unit_cu", "midpoint", "numerator", "import_t", "domestic_production_t",
           "share_no_wgi", "reason", "mode", "library_name")
_TABLES = ("gpr_lib_materials", "gpr_lib_trade", "gpr_lib_production")


#: the numeric output columns (both modes)
NUMERIC = ("hhi", "numerator", "import_t", "domestic_production_t", "wta", "score", "price_usd_per_kg",
           "midpoint", "cf_fixed_cu", "share_no_wgi", "cf_same_unit_cu", "cf")


def has_tables(con: object, tables: Sequence[str] = _TABLES) -> bool:
    """Whether the store has every table of ``tables`` (default: the library-view tables)."""
    have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}  # type: ignore[attr-defined]
    return all(t in have for t in tables)


def sql_str(x: object) -> str:
    """``x`` as a quoted SQL string literal."""
    return "'" + str(x).replace("'", "''") + "'"


def frame_of(cols: Mapping[str, list], columns: Sequence[str]):  # -> pandas.DataFrame
    """Column lists as a pandas DataFrame with ``columns``, numeric columns as float, year as int64 (pandas
    imported here, not on import)."""
    import pandas as pd

    frame = pd.DataFrame({c: cols[c] for c in columns})
    num = [c for c in NUMERIC if c in frame.columns]
    frame[num] = frame[num].astype(float)
    frame["year"] = frame["year"].astype("int64")
    return frame


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
) -> dict[str, list]:
    """Every unit × library raw material × year, as column lists (see :data:`COLUMNS`; no ``material``).

    ``units`` maps a unit name to ISO3 members (a country is a one-member unit); ``years`` must be valid
    (:func:`valid_years`); ``materials`` restricts to material ids (default: the library's list, in
    ``default_rmlist()`` order). One DuckDB query; the arithmetic is the library's, in IEEE doubles like it.
    """
    if not has_tables(con):
        raise StoreError("the store has no geopolrisk-py input tables (gpr_lib_*); rebuild it with `crmsec data build`")
    names = list(units)
    codes = baci_codes(con, sorted({c for m in units.values() for c in m}))
    pairs = [(i, codes[c]) for i, n in enumerate(names) for c in dict.fromkeys(units[n])]
    mats = con.execute(  # type: ignore[attr-defined]
        "select ref_id, any_value(material_id), min(rank) from gpr_lib_materials group by 1 order by 3").fetchall()
    if materials is not None:
        keep = set(materials)
        mats = [m for m in mats if m[1] in keep]
    if not (pairs and mats and years):
        return {c: [] for c in COLUMNS if c != "material"}

    u_sql = ", ".join(f"({i}, {code})" for i, code in pairs)
    m_sql = ", ".join(f"({sql_str(r)}, {i}, {sql_str(m)})" for i, (r, m, _) in enumerate(mats))
    y_sql = ", ".join(f"({int(y)}, {i})" for i, y in enumerate(years))
    rows = con.execute(  # type: ignore[attr-defined]
        f"""
        with u(unit, code) as (values {u_sql}),
        m(ref_id, mi, material_id) as (values {m_sql}),
        yy(year, yi) as (values {y_sql}),
        -- trade (utils.aggregateTrade): Σq, Σv, Σq·g; partners inside the unit get g = 0 but stay in F
        t as (
            select u.unit, m.mi, yy.yi, t.qty, t.value,
                   case when i.code is not null then 0.0 else t.g end as g, t.g_error and i.code is null as err
            from gpr_lib_trade t join u on t.reporter_code = u.code join m on m.ref_id = t.ref_id
            join yy on yy.year = t.year left join u i on i.unit = u.unit and i.code = t.partner_code
        ),
        tr as (select unit, mi, yi, sum(qty) as f, sum(value) as v, sum(qty * g) as num,
                      sum(case when isnan(g) then qty else 0 end) as qnan, bool_or(err) as err
               from t group by all),
        -- core.HHI: rows truncated to integers in the sheet's unit; Σ = 0 raises in the library
        hh as (select m.mi, yy.yi, sum(trunc(value)::hugeint * trunc(value)::hugeint)::double as s2,
                      sum(trunc(value)::hugeint)::double as s1
               from gpr_lib_production p join m on m.ref_id = p.ref_id join yy on yy.year = p.year group by all),
        -- core.HHI: domestic production = the first row of the code, not truncated, kg → t (Mio m3 kept)
        first as (select ref_id, country_code::integer as code, year,
                         arg_min(value, "row") / case when any_value(sheet_unit) = 'kg' then 1000.0 else 1.0 end as q
                  from gpr_lib_production group by all),
        pp as (select u.unit, m.mi, yy.yi, sum(f.q) as p
               from first f join u on u.code = f.code join m on m.ref_id = f.ref_id join yy on yy.year = f.year
               group by all),
        g as (
            select un.unit, m.mi, yy.yi, m.material_id, m.ref_id, yy.year,
                   coalesce(tr.f, 0.0) as f, coalesce(tr.v, 0.0) as v, coalesce(tr.num, 0.0) as num,
                   coalesce(tr.qnan, 0.0) as qnan, coalesce(tr.err, false) as err, coalesce(pp.p, 0.0) as p,
                   case when hh.s1 <> 0 then hh.s2 / (hh.s1 * hh.s1) end as hhi
            from (select distinct unit from u) un cross join m cross join yy
            left join tr on tr.unit = un.unit and tr.mi = m.mi and tr.yi = yy.yi
            left join pp on pp.unit = un.unit and pp.mi = m.mi and pp.yi = yy.yi
            left join hh on hh.mi = m.mi and hh.yi = yy.yi
        ),
        -- core.GeoPolRisk: WTA = Num/(F + p) (0 on ZeroDivisionError), Score = HHI·WTA, CF = Score·Price/CF_Cu
        r as (
            select *, hhi is null or err as void,
                   case when f <> 0 then v / f else 0.0 end as price,
                   case when f + p <> 0 then num / (f + p) else 0.0 end as wta
            from g
        ),
        s as (
            select *, case when void then 'nan'::double else wta end as wta_o,
                   case when void then 'nan'::double else hhi * wta end as score,
                   case when void then 'nan'::double else price end as price_o,
                   case when void then 'nan'::double else hhi * wta * price end as midpoint
            from r
        )
        select unit, material_id, ref_id, year, coalesce(hhi, 'nan'::double), wta_o, score, price_o,
               midpoint / {CU_NORMALISER_LIBRARY}, midpoint,
               coalesce(midpoint / nullif(max(case when material_id = 'copper' then midpoint end)
                                          over (partition by unit, yi), 0), 'nan'::double),
               num, f, p, case when f > 0 then qnan / f else 'nan'::double end,
               case when err then 'library_raises_wgi_text_none'
                    when hhi is null then 'library_raises_no_world_production'
                    when isnan(num) then 'library_nan_in_wgi_db'
                    when f + p = 0 then 'library_zero_for_no_trade_no_production'
                    when material_id = '{NATURAL_GAS}' and p > 0 then 'library_adds_mio_m3_to_tonnes'
                    else '' end
        from s order by unit, mi, yi
        """
    ).fetchall()
    (unit, mid, ref, year, hhi, wta, score, price, cf, midpoint, cf_same, num, f, p, share, reason) = (
        list(c) for c in zip(*rows, strict=True))
    return {
        "country": [names[i] for i in unit], "material_id": mid, "library_name": ref, "year": year, "hhi": hhi,
        "wta": wta, "score": score, "price_usd_per_kg": price, "cf": cf, "cf_fixed_cu": list(cf),
        "cf_same_unit_cu": cf_same, "midpoint": midpoint, "numerator": num, "import_t": f,
        "domestic_production_t": p, "share_no_wgi": share, "reason": reason, "mode": ["compatible"] * len(rows),
    }


def material_names(con: object, ids: Sequence[str]) -> dict[str, str]:
    """English names from the store's material registry; library names for the energy carriers."""
    rows = dict(con.execute("select material_id, name_en from materials").fetchall())  # type: ignore[attr-defined]
    lib = dict(con.execute("select material_id, any_value(ref_id) from gpr_lib_materials group by 1").fetchall())  # type: ignore[attr-defined]
    return {m: rows.get(m) or lib.get(m, m) for m in ids}


def to_frame(cols: dict[str, list], names: Mapping[str, str] | None = None):  # -> pandas.DataFrame
    """The arrays as a pandas DataFrame in :data:`COLUMNS` order (pandas imported here, not on import)."""
    cols = dict(cols)
    cols["material"] = [(names or {}).get(m, m) for m in cols["material_id"]]
    return frame_of(cols, COLUMNS)
