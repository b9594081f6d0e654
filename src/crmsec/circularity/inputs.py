"""I/O edge: read the vendored circularity tables (``data/raw/circularity/``) and the labelled assumption table
(``assumptions.csv`` next to this module) and turn them into :class:`~crmsec.circularity.model.Product` inputs.

Every value that is not read from a vendored file comes from ``assumptions.csv`` (columns ``source``/``note``;
rows marked ``ASSUMPTION``) and is reported by :func:`assumptions`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from crmsec.circularity.model import Lifetime, Product, fill_series
from crmsec.errors import DataError, InputError

SCENARIOS = ("baseline", "targets")
PRODUCTS = ("portable", "ebike", "ev_car")
START_YEAR = 1995

#: BatPaC material label → registry material_id (basis: t contained element; graphite as material)
BATPAC_MATERIALS = {"Lithium": "lithium", "Nickel": "nickel", "Cobalt": "cobalt", "Manganese": "manganese",
                    "Graphite": "graphite"}
#: recycling_rates.csv element symbol → material_id
SYMBOLS = {"Li": "lithium", "Co": "cobalt", "Ni": "nickel"}
#: magnet elements asked for but without a product flow in the vendored data
NO_FLOW_MATERIALS = ("neodymium", "dysprosium", "praseodymium", "terbium")

_BATTERY_TYPE = {"portable": "portable", "ebike": "e-bike (LMT) batteries"}
_TARGET_CATEGORY = {"portable": "portable batteries", "ebike": "batteries for light means of transport"}
_LIFETIME_KEY = {
    "portable": ("UNU-KEY 0306", "NL/FR/BE",
                 "proxy: UNU-KEY 0306 mobile phones (NL/FR/BE Weibull, UNITAR 2023); no lifetime for portable "
                 "batteries as such"),
    "ebike": ("UNU-KEY 0703", "NL/FR/BE",
              "UNU-KEY 0703 leisure equipment incl. e-bikes (NL/FR/BE Weibull, UNITAR 2023); battery = product"),
    "ev_car": ("Car | traction battery (LIB)", "global (same for all regions)",
               "Busch et al. 'Baseline' car traction-battery lifetime mean 15, sd 4 years, as a normal "
               "distribution (source code default is logistic with the same mean and sd)"),
}
_BACKCAST = {"portable": ("constant", None), "ebike": ("ramp", 2008), "ev_car": ("ramp", 2011)}
_BACKCAST_NOTE = {
    "portable": "before the first NL figure (2013): held at that value (backcast_constant)",
    "ebike": "before the first NL figure (2017): linear ramp from 0 in 2008 (ASSUMPTION: Li-ion e-bikes negligible "
             "before 2008)",
    "ev_car": "before the first NL figure (2016): linear ramp from 0 in 2011 (ASSUMPTION: first series BEVs "
              "2011; CBS counts 4.6 thousand FEVs on 1 Jan 2014)",
}
_MASS = {"t": 1.0, "kg": 1e-3, "million kg": 1e3, "kt": 1e3}


def _raw(name: str) -> Path:
    from crmsec.sources import raw_path

    return raw_path("circularity", name)


def _read(name: str, required: list[str]) -> pd.DataFrame:
    path = _raw(name)
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - parse errors of any kind become one DataError
        raise DataError(f"cannot read CSV: {exc}", file=path, hint="restore the vendored file") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError("missing column(s) " + ", ".join(missing), file=path,
                        hint="the vendored file layout changed; see data/raw/circularity/PROVENANCE.md")
    return df


@cache
def assumptions() -> pd.DataFrame:
    """The labelled assumption table (one row per parameter; ``source`` says ASSUMPTION where unsourced)."""
    with resources.files("crmsec.circularity").joinpath("assumptions.csv").open(encoding="utf-8") as fh:
        df = pd.read_csv(fh)
    for i, row in df.iterrows():
        if pd.notna(row["value"]) and not np.isfinite(float(row["value"])):
            raise DataError("non-finite value", file="assumptions.csv", row=int(i) + 2, field="value",
                            value=row["value"])
    extra = [{"parameter": "backcast_policy", "product": p, "scenario": "all", "source": "ASSUMPTION",
              "note": _BACKCAST_NOTE[p]} for p in PRODUCTS]
    extra += [{"parameter": "lifetime", "product": p, "scenario": "all", "source": "product_lifetimes.csv",
               "note": _LIFETIME_KEY[p][2]} for p in PRODUCTS]
    extra.append({"parameter": "forecast_policy", "product": "all", "scenario": "all", "source": "ASSUMPTION",
                  "note": "after the last NL figure, products put on the market are held constant "
                          "(extrapolated_constant); no growth scenario"})
    return pd.concat([df, pd.DataFrame(extra)], ignore_index=True)


def _assume(parameter: str, product: str, scenario: str = "all") -> pd.DataFrame:
    a = assumptions()
    sel = a[(a["parameter"] == parameter) & (a["product"] == product) & a["scenario"].isin([scenario, "all"])]
    if sel.empty:
        raise DataError(f"assumption '{parameter}' for '{product}' ({scenario}) missing", file="assumptions.csv")
    return sel


def _to_t(value: float, unit: str, file: str, row: int) -> float:
    if unit not in _MASS:
        raise DataError("unknown mass unit", file=file, row=row, field="unit", value=unit,
                        hint="use t, kg, kt or million kg")
    return float(value) * _MASS[unit]


def battery_observations(product: str) -> tuple[dict[int, tuple[float, str]], dict[int, tuple[float, str]]]:
    """NL put-on-market [t battery] and legal-basis collection rates [fraction] with per-year labels.

    POM: ``observed`` rows; where a year has no POM but a collected mass and a reported collection rate, the
    three-year mean POM = collected / rate is used for that year (``derived_collected_over_rate``).
    Rate: reported ``collection_rate`` rows (``observed``); else collected_t / mean(POM_{t-2..t}) where all
    three POM years are observed (``derived_collected_over_pom``).
    """
    df = _read("nl_batteries_flows.csv", ["geo", "year", "battery_type", "flow", "value", "unit"])
    sel = df[(df["geo"] == "NL") & (df["battery_type"] == _BATTERY_TYPE[product])]
    pom, coll, rate = {}, {}, {}
    for i, r in sel.iterrows():
        y, row = int(r["year"]), int(i) + 2
        if r["flow"] == "put_on_market":
            pom[y] = _to_t(r["value"], r["unit"], "nl_batteries_flows.csv", row)
        elif r["flow"] == "collected":
            coll[y] = _to_t(r["value"], r["unit"], "nl_batteries_flows.csv", row)
        elif r["flow"] == "collection_rate":
            if r["unit"] != "percent":
                raise DataError("collection rate must be in percent", file="nl_batteries_flows.csv", row=row,
                                field="unit", value=r["unit"])
            rate[y] = float(r["value"]) / 100.0
    pom_obs = {y: (v, "observed") for y, v in pom.items()}
    for y, c in coll.items():
        if y not in pom and rate.get(y, 0) > 0:
            pom_obs[y] = (c / rate[y], "derived_collected_over_rate")
    rate_obs = {y: (v, "observed") for y, v in rate.items()}
    for y, c in coll.items():
        if y not in rate and all(k in pom for k in (y, y - 1, y - 2)):
            rate_obs[y] = (c / np.mean([pom[y], pom[y - 1], pom[y - 2]]), "derived_collected_over_pom")
    return pom_obs, rate_obs


def ev_observations() -> dict[int, tuple[float, str]]:
    """NL new battery-electric passenger cars [vehicles/yr] from the assumption table (sourced rows)."""
    sel = _assume("ev_new_registrations", "ev_car")
    return {int(r["year"]): (float(r["value"]), str(r["note"]).split(":")[0].strip())  # observed/derived/proxy
            for _, r in sel.iterrows()}


def collection_targets(product: str) -> dict[int, float]:
    """Reg. (EU) 2023/1542 collection targets [fraction] by deadline year (recycling_rates.csv)."""
    df = _read("recycling_rates.csv", ["metric", "product_category", "year_or_deadline", "value"])
    sel = df[(df["metric"] == "collection_target") & (df["product_category"] == _TARGET_CATEGORY[product])]
    return {int(str(r["year_or_deadline"])[:4]): float(r["value"]) / 100.0 for _, r in sel.iterrows()
            if pd.notna(r["value"])}


def recovery_rates(scenario: str, years: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Material recovery [fraction of collected contained element] per material_id and year; reasons for NaN.

    baseline: the 2027 minimum of Annex XII Part C in every year (ASSUMPTION); targets: 2027 minimum until 2030,
    2031 minimum from 2031 (missing 2031 values held at 2027). Materials without a target: NaN.
    """
    df = _read("recycling_rates.csv", ["scope", "material", "metric", "year_or_deadline", "value"])
    sel = df[(df["metric"] == "material_recovery_target") & df["material"].isin(SYMBOLS)]
    out: dict[str, np.ndarray] = {}
    for sym, mid in SYMBOLS.items():
        rows = sel[sel["material"] == sym]
        by_year = {int(str(r["year_or_deadline"])[:4]): float(r["value"]) / 100.0 for _, r in rows.iterrows()
                   if pd.notna(r["value"])}
        if 2027 not in by_year:
            raise DataError(f"no 2027 material-recovery target for {sym}", file=_raw("recycling_rates.csv"))
        v = np.full(len(years), by_year[2027])
        if scenario == "targets":
            v = np.where(years >= 2031, by_year.get(2031, by_year[2027]), v)
        out[mid] = v
    reasons = {m: "no_recovery_rate: no material-recovery target or observed rate in the vendored data"
               for m in BATPAC_MATERIALS.values() if m not in out}
    return out, reasons


def _intensity(product: str) -> dict[str, float]:
    """kg contained element per kWh: Σ chemistry share × BatPaC intensity (material_content.csv)."""
    mc = _read("material_content.csv", ["product", "technology", "material", "value", "unit"])
    mc = mc[mc["product"].astype(str).str.startswith("battery") & (mc["unit"] == "kg per kWh")]
    shares = _assume("chemistry_share", product)
    total = shares["value"].astype(float).sum()
    if abs(total - 1.0) > 1e-9:
        raise DataError(f"chemistry shares of {product} sum to {total}, not 1", file="assumptions.csv",
                        field="value", hint="make the chemistry_share rows of each product sum to 1")
    out = dict.fromkeys(BATPAC_MATERIALS.values(), 0.0)
    for _, s in shares.iterrows():
        rows = mc[mc["technology"] == s["material"]]
        if rows.empty:
            raise DataError("chemistry not in material_content.csv", file="assumptions.csv", field="material",
                            value=s["material"])
        for _, r in rows.iterrows():
            if r["material"] in BATPAC_MATERIALS:
                out[BATPAC_MATERIALS[r["material"]]] += float(s["value"]) * float(r["value"])
    return out


def _kwh_per_unit(product: str) -> tuple[float, str]:
    if product == "ev_car":
        return float(_assume("pack_capacity", product)["value"].iloc[0]), "vehicles"
    se = float(_assume("specific_energy", product)["value"].iloc[0])
    li = float(_assume("li_ion_mass_share", product)["value"].iloc[0])
    return 1000.0 * li * se, "t battery"


def lifetime(product: str) -> Lifetime:
    """Lifetime of a product from product_lifetimes.csv (see :data:`_LIFETIME_KEY`)."""
    key, region, note = _LIFETIME_KEY[product]
    lt = _read("product_lifetimes.csv", ["product_key", "region", "distribution", "shape", "scale_years",
                                         "mean_years", "sd_years"])
    rows = lt[(lt["product_key"] == key) & (lt["region"] == region)]
    if product == "ev_car":
        rows = rows[rows["reference_year"].astype(str).str.contains("Baseline")]
    if rows.empty:
        raise DataError(f"no lifetime row for {key} ({region})", file=_raw("product_lifetimes.csv"))
    r = rows.iloc[0]
    if str(r["distribution"]).startswith("weibull"):
        return Lifetime("weibull", shape=float(r["shape"]), scale=float(r["scale_years"]), source=note)
    return Lifetime("normal", mean=float(r["mean_years"]), sd=float(r["sd_years"]), source=note)


def build_products(scenario: str = "baseline", until: int = 2050,
                   pom_growth: float = 0.0) -> tuple[list[Product], np.ndarray]:
    """All product systems for a scenario over START_YEAR..until.

    ``pom_growth`` [fraction/yr]: after each product's last NL figure, put-on-market grows by this rate
    (label ``extrapolated_growth_<rate>``) instead of being held constant (``extrapolated_constant``).
    """
    if not -0.5 < pom_growth < 1.0:
        raise InputError(f"--pom-growth must be a fraction per year in (-0.5, 1), got {pom_growth}")
    if scenario not in SCENARIOS:
        raise InputError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIOS)}")
    if not 2025 <= until <= 2100:
        raise InputError(f"--until must be between 2025 and 2100, got {until}")
    years = np.arange(START_YEAR, until + 1)
    products = []
    for name in PRODUCTS:
        if name == "ev_car":
            pom = ev_observations()
            share = float(_assume("collection_share_of_eol", name, scenario)
                          .query("scenario == @scenario")["value"].iloc[0])
            rate, rate_basis = np.full(len(years), share), np.full(len(years), f"assumption_{scenario}",
                                                                   dtype=object)
            kind = "eol_share"
        else:
            pom, rate_obs = battery_observations(name)
            if scenario == "targets":
                last = max(rate_obs)
                rate_obs = {**rate_obs, **{y: (v, "target_reg_2023_1542") for y, v in
                                           collection_targets(name).items() if y > last}}
            rate, rate_basis = fill_series(rate_obs, years, backcast="constant")
            kind = "pom_avg3"
        back, ramp = _BACKCAST[name]
        inflow, basis = fill_series(pom, years, backcast=back, ramp_start=ramp)
        if pom_growth:
            last = max(pom)
            after = years > last
            inflow = np.where(after, inflow * (1.0 + pom_growth) ** np.maximum(years - last, 0), inflow)
            basis = np.where(after, f"extrapolated_growth_{pom_growth:g}_per_yr", basis).astype(object)
        kwh, unit = _kwh_per_unit(name)
        content = {m: kwh * kg / 1000.0 for m, kg in _intensity(name).items()}  # t element per unit
        products.append(Product(name=name, unit=unit, inflow=inflow, inflow_basis=basis, lifetime=lifetime(name),
                                content=content, collection_kind=kind, collection_rate=rate,
                                collection_basis=rate_basis))
    return products, years


def recycled_content_minima(years: np.ndarray) -> dict[str, np.ndarray]:
    """Art. 8 recycled-content minima [fraction] per material_id and year (NaN before the first deadline;
    from the deadline year on — the 2031 value from 2031, the 2036 value from 2036; recycling_rates.csv)."""
    df = _read("recycling_rates.csv", ["material", "metric", "year_or_deadline", "value"])
    sel = df[(df["metric"] == "recycled_content_minimum") & df["material"].isin(SYMBOLS)]
    out: dict[str, np.ndarray] = {}
    for sym, mid in SYMBOLS.items():
        v = np.full(len(years), np.nan)
        rows = sel[sel["material"] == sym].assign(y=lambda d: d["year_or_deadline"].astype(str).str[:4].astype(int))
        for _, r in rows.sort_values("y").iterrows():
            if pd.notna(r["value"]):
                v = np.where(years >= r["y"], float(r["value"]) / 100.0, v)
        out[mid] = v
    return out
