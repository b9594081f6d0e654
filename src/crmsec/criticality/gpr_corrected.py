"""GeoPolRisk ``corrected`` mode over the store in one DuckDB query, without pandas (issue 11, item 6).

The store implementation of :func:`crmsec.criticality.pipeline.geopolrisk_table` in corrected mode: the same
cells, NaNs and reasons as the frame-based composition ``pipeline.geopolrisk_inputs`` →
:func:`crmsec.criticality.geopolrisk.geopolrisk` → basis check → ``pipeline._corrected_gaps``, which stays the
reference for caller-supplied frames (no store connection) and in ``tests/criticality/test_gpr_corrected.py``
(every cell of the test store, rel 1e-12, same reasons). Every formula and reason below is that reference's
(methods §3.2–§3.6, §9):

* g = clip((2.5 − PV)/5, 0, 1) of the partner-year (:func:`crmsec.indicators.governance.pv_instability`);
  a partner-year without a PV estimate has g NaN.
* Trade: BACI rows mapped to a material; tonnes × ``criticality/data/hs6_trade_basis.csv`` factor where the
  code has one (basis ``contained``, else ``gross``); flows within a unit excluded; q = tonnes (NULL → 0);
  the value counts only where the quantity exists. Num = Σ q·g (g NaN → 0), F = Σ q, Q_nan = Σ q where g NaN.
* Production: World Mining Data in t (kg / 1000), converted to contained content with the registry's content
  factor (``registry/content_factors.csv``, direct pair or 1/inverse, :func:`crmsec.indicators.units.basis_factor`)
  where one exists; HHI = Σ (xᵢ/Σx)² (NaN when Σx = 0); p = Σ of the unit's members.
* WTA = Num/(F + p), NaN when F + p = 0, when Q_nan > 0, or when the material-year has no BACI row at all;
  Score = HHI·WTA; Price = Σv/F [USD/kg]; Midpoint = Score·Price; CF = Midpoint / copper's midpoint of the
  same unit and year (Eq. 3, Koyamparambath et al. 2024); ``cf_fixed_cu`` uses the library's 0.409412948.
* Reasons (first that applies): ``basis_mismatch`` (unlike production and trade bases, both > 0: WTA…CF NaN),
  ``no_hs_code`` / ``no_trade_data``, ``no_trade_no_production``, ``no_wgi``, ``no_imports``,
  ``zero_partner_instability``, ``no_production``; energy carriers: ``energy_carrier_not_assessed``.

Rows come in unit × material × year order (units as given, or every country sorted by ISO3), then the energy
carriers per unit-year.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from crmsec.criticality import gpr_compatible as _gc
from crmsec.criticality.gpr_compatible import (
    CU_NORMALISER_LIBRARY,  # geopolrisk-py core.GeoPolRisk
    NUMERIC,
    frame_of,
)
from crmsec.criticality.gpr_compatible import sql_str as _q
from crmsec.errors import StoreError

#: Output columns, in the order of the frame-based reference.
COLUMNS = ("country", "material_id", "material", "year", "hhi", "numerator", "import_t", "domestic_production_t",
           "wta", "score", "price_usd_per_kg", "midpoint", "cf_fixed_cu", "share_no_wgi", "reason",
           "cf_same_unit_cu", "cf", "mode")
#: Column order of ``crmsec assess`` output (the same as compatible mode's, without ``library_name``).
OUTPUT_COLUMNS = ("country", "material_id", "material", "year", "hhi", "wta", "score", "price_usd_per_kg", "cf",
                  "cf_fixed_cu", "cf_same_unit_cu", "midpoint", "numerator", "import_t", "domestic_production_t",
                  "share_no_wgi", "reason", "mode")
#: Corrected-mode reasons (the query returns their index).
REASONS = ("", "basis_mismatch", "no_hs_code", "no_trade_data", "no_trade_no_production", "no_wgi", "no_imports",
           "zero_partner_instability", "no_production", "energy_carrier_not_assessed")
_TABLES = ("production", "trade", "wgi_pv", "materials")
_CRIT_DIR = Path(__file__).resolve().parent
_TRADE_BASIS_CSV = _CRIT_DIR / "data" / "hs6_trade_basis.csv"
_CONTENT_FACTORS_CSV = _CRIT_DIR.parent / "registry" / "content_factors.csv"
_PROD = "source = 'wmd' and unit in ('t', 'kg')"


def has_tables(con: object) -> bool:
    """Whether the store has the tables corrected mode reads."""
    return _gc.has_tables(con, _TABLES)


def valid_years(con: object) -> list[int]:
    """Years with World Mining Data production (t/kg) and mapped BACI trade (``geopolrisk_table``'s default)."""
    rows = con.execute(  # type: ignore[attr-defined]
        f"select distinct year from production where {_PROD} intersect "
        "select distinct year from trade where material_id is not null order by 1").fetchall()
    return [int(r[0]) for r in rows]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _float(x: str | None) -> float | None:
    try:
        v = float(x or "")
    except ValueError:
        return None
    return v if v == v and abs(v) != float("inf") else None


def production_factors(pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """(material_id, basis) → t contained per t, as :func:`crmsec.indicators.units.basis_factor` finds it
    (1.0 for ``contained``; the registry's first direct pair, else 1/inverse); ``gross`` and pairs without a
    factor are left out (they keep their basis, never a silent 1)."""
    cf = _rows(_CONTENT_FACTORS_CSV)
    out: dict[tuple[str, str], float] = {}
    for mid, b in pairs:
        if b == "gross":
            continue
        if b == "contained":
            out[(mid, b)] = 1.0
            continue
        direct = [_float(r["factor"]) for r in cf if r["material_id"] == mid and r["from_basis"] == b
                  and r["to_basis"] == "contained"]
        inverse = [_float(r["factor"]) for r in cf if r["material_id"] == mid and r["from_basis"] == "contained"
                   and r["to_basis"] == b]
        if direct and direct[0] is not None:
            out[(mid, b)] = direct[0]
        elif inverse and inverse[0]:
            out[(mid, b)] = 1.0 / inverse[0]  # type: ignore[operator]
    return out


def _values(rows: Sequence[tuple], empty: str) -> str:
    """A VALUES body; ``empty`` (a typed row of NULLs, never matched by its users) when there are no rows."""
    def lit(v: object) -> str:  # floats as strings cast to double: exact, never a DECIMAL literal
        return _q(v) if isinstance(v, str) else f"'{v!r}'::double" if isinstance(v, float) else repr(v)

    return ", ".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows) or empty


def corrected_arrays(
    con: object,
    units: Mapping[str, Sequence[str]] | None = None,
    years: Sequence[int] | None = None,
    materials: Sequence[str] | None = None,
) -> dict[str, list]:
    """Every unit × material × year in corrected mode, as column lists (:data:`COLUMNS`, NaN as float NaN).

    ``units`` maps a unit name to ISO3 members (default: every country that imports or produces, its own
    unit); ``years`` default :func:`valid_years`; ``materials`` restricts to material ids (in that order).
    One DuckDB query for the cells (plus one each for the default units and materials); text columns come back as
    codes and are mapped to shared strings here (no per-row string objects from the database).
    """
    if not has_tables(con):
        raise StoreError("GeoPolRisk needs the store tables production, trade, wgi_pv and materials; "
                         "run `crmsec data build`")
    yrs = [int(y) for y in (years if years is not None else valid_years(con))]
    empty: dict[str, list] = {c: [] for c in COLUMNS}
    if not yrs or (units is not None and not units) or (materials is not None and not materials):
        return empty
    from crmsec.sources import ENERGY_IDS

    energy = [m for m in ENERGY_IDS.values() if materials is None or m in materials]
    mat_filter = "true" if materials is None else f"material_id in ({', '.join(_q(m) for m in materials)})"
    tb = [(int(r["hs6"]), f) for r in _rows(_TRADE_BASIS_CSV) if (f := _float(r["factor_to_contained"])) is not None]
    pairs = con.execute(f"select distinct material_id, basis from production where {_PROD}").fetchall()  # type: ignore[attr-defined]
    pf = [(m, b, f) for (m, b), f in production_factors([(m, b) for m, b in pairs if m and b]).items()]
    prelude = f"""
        yy(year) as (values {", ".join(f"({y})" for y in yrs)}),
        tb(hs6, fac) as (values {_values(tb, '(null::integer, null::double)')}),
        cf(material_id, basis, fac) as (values {_values(pf, '(null::varchar, null::varchar, null::double)')}),
        -- production in t, on the contained basis where a content factor exists
        p1 as (
            select material_id, country, year,
                   case when cf.fac is not null then qt * cf.fac else qt end as q,
                   case when cf.fac is not null then 'contained' else coalesce(p0.basis, 'None') end as basis
            from (select material_id, country, year, basis,
                         case when unit = 'kg' then quantity / 1000.0 else quantity end as qt
                  from production where {_PROD}) p0
            left join cf using (material_id, basis)
        ),
        pf as (select material_id, country, year, case when q is null or isnan(q) then 0.0 else q end as q
               from p1 where country is not null and year in (select year from yy) and {mat_filter}),
        -- BACI rows mapped to a material in the years, tonnes on the contained basis where
        -- hs6_trade_basis.csv has a factor
        tf as (
            select reporter, partner, material_id, year, value_kusd,
                   case when tb.fac is not null then tonnes * tb.fac else tonnes end as q_raw
            from trade left join tb using (hs6)
            where material_id is not null and reporter is not null and partner is not null
              and year in (select year from yy) and {mat_filter}
        )"""
    if units is None:  # every country that imports or produces, its own unit, sorted by ISO3
        rows = con.execute(f"with {prelude} select distinct reporter from tf union "  # type: ignore[attr-defined]
                           "select distinct country from pf").fetchall()
        units = {c: [c] for c in sorted(r[0] for r in rows)}
    names = list(units)
    members = [(i, c) for i, n in enumerate(names) for c in dict.fromkeys(units[n])]
    # imports of each unit, flows between its members excluded
    unit_ctes = f"""
        u(ui, member) as (values {_values(members, '(null::integer, null::varchar)')}),
        -- partner instability g = clip((2.5 - PV)/5, 0, 1); missing estimate → NULL (NaN)
        w as (select country, year,
                     case when estimate is null or isnan(estimate) then null
                          else greatest(least((2.5 - estimate) / 5.0, 1.0), 0.0) end as g
              from wgi_pv),
        t as (
            select u.ui, tf.material_id, tf.year, w.g,
                   case when tf.q_raw is null or isnan(tf.q_raw) then 0.0 else tf.q_raw end as q,
                   case when tf.q_raw is null or isnan(tf.q_raw) or tf.value_kusd is null or isnan(tf.value_kusd)
                        then 0.0 else tf.value_kusd end as v
            from tf join u on tf.reporter = u.member
            left join w on w.country = tf.partner and w.year = tf.year
            where not exists (select 1 from u i where i.ui = u.ui and i.member = tf.partner)
        )"""
    if materials is None:  # materials produced or imported by a unit, sorted
        rows = con.execute(f"with {prelude}, {unit_ctes} select distinct material_id from pf "  # type: ignore[attr-defined]
                           "union select distinct material_id from t").fetchall()
        grid = sorted(r[0] for r in rows)
    else:  # the energy carriers are listed once, as not assessed (below)
        grid = [m for m in dict.fromkeys(materials) if m not in energy]
    if not (names and grid):
        return empty
    mat_ids = grid + energy
    nan = "'nan'::double"
    reason_sql = "case " + " ".join(f"when reason = {_q(r)} then {k}" for k, r in enumerate(REASONS)) + " end"
    rows = con.execute(  # type: ignore[attr-defined]
        f"""
        with {prelude}, {unit_ctes},
        m(mi, material_id) as (values {_values(list(enumerate(grid)), '')}),
        agg as (select ui, material_id, year, sum(q * coalesce(g, 0.0)) as num, sum(q) as f,
                       sum(case when g is null and q > 0 then q else 0.0 end) as qnan, sum(v) as v
                from t group by all),
        tot as (select material_id, year, sum(q) as s from pf group by all),
        hh as (select pf.material_id, pf.year,
                      case when any_value(tot.s) > 0 then sum((pf.q / tot.s) * (pf.q / tot.s)) end as hhi
               from pf join tot using (material_id, year) group by all),
        pp as (select u.ui, pf.material_id, pf.year, sum(pf.q) as p
               from pf join u on pf.country = u.member group by all),
        hd as (select distinct material_id, year from tf),
        -- bases over every year: production (after conversion) and trade ('contained' where a factor exists)
        pb as (select material_id, string_agg(distinct basis, '|' order by basis) as b
               from p1 where material_id is not null group by 1),
        tbb as (select material_id,
                       string_agg(distinct case when tb.fac is not null then 'contained' else 'gross' end, '|'
                                  order by 1) as b
                from (select distinct material_id, hs6 from trade
                      where material_id is not null and reporter is not null and partner is not null) x
                left join tb using (hs6) group by 1),
        nohs as (select material_id from materials where trim(coalesce(hs6, '')) = ''),
        g as (
            select un.ui, m.mi, yy.year, m.material_id,
                   coalesce(agg.num, 0.0) as num, coalesce(agg.f, 0.0) as f, coalesce(agg.qnan, 0.0) as qnan,
                   coalesce(agg.v, 0.0) as v, coalesce(pp.p, 0.0) as p, hh.hhi,
                   hd.material_id is not null as has_data, nohs.material_id is not null as no_hs,
                   coalesce(pb.b, '') <> coalesce(tbb.b, '') as unlike
            from (select distinct ui from u) un cross join m cross join yy
            left join agg on agg.ui = un.ui and agg.material_id = m.material_id and agg.year = yy.year
            left join pp on pp.ui = un.ui and pp.material_id = m.material_id and pp.year = yy.year
            left join hh on hh.material_id = m.material_id and hh.year = yy.year
            left join hd on hd.material_id = m.material_id and hd.year = yy.year
            left join pb on pb.material_id = m.material_id
            left join tbb on tbb.material_id = m.material_id
            left join nohs on nohs.material_id = m.material_id
        ),
        r as (
            select *, unlike and p > 0 and f > 0 as hit,
                   case when has_data and qnan <= 0 and f + p > 0 then num / (f + p) end as wta,
                   case when f > 0 then v / f end as price,
                   case when f > 0 then qnan / f end as share
            from g
        ),
        s as (select *, hhi * wta as score, hhi * wta * price as midpoint from r),
        c as (
            select *, max(case when material_id = 'copper' then midpoint end) over (partition by ui, year) as cu,
                   case when hit then 'basis_mismatch'
                        when not has_data then case when no_hs then 'no_hs_code' else 'no_trade_data' end
                        when f + p <= 0 then 'no_trade_no_production'
                        when qnan > 0 then 'no_wgi'
                        when f <= 0 then 'no_imports'
                        when num <= 0 then 'zero_partner_instability'
                        when hhi is null then 'no_production'
                        else '' end as reason
            from s
        )
        select ui, mi, year, {reason_sql}, coalesce(hhi, {nan}), num, f, p,
               coalesce(case when not hit then wta end, {nan}), coalesce(case when not hit then score end, {nan}),
               coalesce(price, {nan}), coalesce(case when not hit then midpoint end, {nan}),
               coalesce(case when not hit then midpoint / {CU_NORMALISER_LIBRARY} end, {nan}), coalesce(share, {nan}),
               coalesce(case when not hit and cu > 0 then midpoint / cu end, {nan})
        from c order by ui, mi, year
        """
    ).fetchall()
    (ui, mi, year, rc, *num) = (list(c) for c in zip(*rows, strict=True))
    cols = dict(zip(("hhi", "numerator", "import_t", "domestic_production_t", "wta", "score", "price_usd_per_kg",
                     "midpoint", "cf_fixed_cu", "share_no_wgi", "cf_same_unit_cu"), num, strict=True))
    cols["cf"] = list(cols["cf_same_unit_cu"])
    # energy carriers geopolrisk-py assesses: listed per unit-year, NaN, energy_carrier_not_assessed (issue 11)
    keys = [(u, y) for u in range(len(names)) for y in yrs]
    n_e = len(keys) * len(energy)
    ui += [u for u, _ in keys for _ in energy]
    year += [y for _, y in keys for _ in energy]
    mi += [len(grid) + k for k in range(len(energy))] * len(keys)
    rc += [REASONS.index("energy_carrier_not_assessed")] * n_e
    for c in NUMERIC:
        cols[c] += [float("nan")] * n_e
    label = dict(con.execute("select material_id, name_en from materials").fetchall())  # type: ignore[attr-defined]
    cols.update(country=list(map(names.__getitem__, ui)), material_id=list(map(mat_ids.__getitem__, mi)),
                material=list(map([label.get(m) or m for m in mat_ids].__getitem__, mi)), year=year,
                reason=list(map(REASONS.__getitem__, rc)), mode=["corrected"] * len(ui))
    return {c: cols[c] for c in COLUMNS}


def to_frame(cols: dict[str, list], columns: Sequence[str] = COLUMNS):  # -> pandas.DataFrame
    """The arrays as a pandas DataFrame with ``columns`` (pandas imported here, not on import)."""
    return frame_of(cols, columns)
