"""Adapters from the web face to the engines' public Python functions.

The web face never re-implements a method: each adapter calls the engine's public function and reshapes
its result for JSON/pages. An engine that is not part of this build raises :class:`EngineUnavailable`,
which the API turns into a 404 with a clear message and the pages into a "not available in this build"
panel — never into made-up numbers.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmsec.api.services import clean
from crmsec.errors import InputError, UnknownNameError

log = logging.getLogger(__name__)

#: engine name → (module, attribute that must exist for the engine to count as present)
ENGINES: dict[str, tuple[str, str]] = {
    "criticality": ("crmsec.criticality", "__name__"),
    "chains": ("crmsec.chains", "__name__"),
    "crma": ("crmsec.crma", "__name__"),
    "scenarios": ("crmsec.scenarios", "__name__"),
    "optimize": ("crmsec.optimize", "__name__"),
    "projects": ("crmsec.projects", "__name__"),
}


class EngineUnavailable(LookupError):
    """The engine (or the function the web face needs from it) is not part of this build."""

    def __init__(self, engine: str, detail: str = "") -> None:
        self.engine = engine
        msg = f"the {engine} engine is not available in this build"
        super().__init__(msg + (f" ({detail})" if detail else ""))


class YearNotAvailable(InputError):
    """A year inside the documented range (1990–2100) for which the store holds no result: the API answers 404
    (the request is well formed, the resource does not exist); pages show the latest year instead."""

    def __init__(self, year: int, years: list[int], what: str) -> None:
        span = ", ".join(map(str, years)) if len(years) <= 6 else f"{years[0]}–{years[-1]}"
        super().__init__(f"no data for year {year}: {what} {span}")


def _import(module: str, engine: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise EngineUnavailable(engine, str(err)) from err


def status() -> list[dict[str, Any]]:
    out = []
    for name, (module, attr) in ENGINES.items():
        try:
            mod = _import(module, name)
            ok = hasattr(mod, attr)
            out.append({"name": name, "available": ok, "detail": None if ok else f"{module}.{attr} missing"})
        except EngineUnavailable as err:
            out.append({"name": name, "available": False, "detail": str(err)})
    return out


# --- criticality ---------------------------------------------------------------------------------------
_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple, threading.Lock] = {}
_READS: dict[tuple, tuple[str, ...]] = {}  # provenance: what each cached value read from the store


def store_key(con: Any) -> tuple:
    """Identity of a store vintage: database file + build time (results are cached per vintage)."""
    try:
        path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    except Exception:  # noqa: BLE001 - in-memory or exotic connections: fall back to the object id
        path = f"id:{id(con)}"
    try:
        built = con.execute("select built_at from meta_build").fetchone()[0]
    except Exception:  # noqa: BLE001 - stores without meta_build (test stores)
        built = None
    return (str(path), str(built))


def cached(con: Any, name: str, *args: Any, compute: Callable[[], Any]) -> Any:
    """Compute once per store vintage and arguments (per-key lock: concurrent requests wait, not recompute)."""
    return cached_by_key(store_key(con), name, *args, compute=compute)


def cache_peek(skey: tuple, name: str, *args: Any) -> Any:
    """The cached value or None (no computation; used on the hot path of the API)."""
    return _CACHE.get((skey, name, args))


def cached_by_key(skey: tuple, name: str, *args: Any, compute: Callable[[], Any]) -> Any:
    """Compute once per key; the store reads of the computation are replayed on every hit (provenance)."""
    from crmsec.provenance import note, recording

    key = (skey, name, args)
    with _CACHE_LOCK:
        if key in _CACHE:
            note(*_READS.get(key, ()))
            return _CACHE[key]
        lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key not in _CACHE:
            with recording(capture=True) as seen:
                value = compute()
            with _CACHE_LOCK:
                _CACHE[key] = value
                _READS[key] = tuple(seen)
        note(*_READS.get(key, ()))
        return _CACHE[key]


def _pipeline() -> Any:
    mod = _import("crmsec.criticality.pipeline", "criticality")
    for attr in ("load_data", "eu_assessment", "national_list", "list_diff", "geopolrisk_table"):
        if not hasattr(mod, attr):
            raise EngineUnavailable("criticality", f"crmsec.criticality.pipeline.{attr} missing")
    return mod


def criticality_data(con: Any) -> Any:
    """The store's criticality frames (cached per store) bound to this request's live connection: the cached
    copy's own connection was closed with the request that loaded it, and the SQL paths query ``data.con``."""
    import dataclasses

    P = _pipeline()
    return dataclasses.replace(cached(con, "data", compute=lambda: P.load_data(con)), con=con)


def latest_list_year(con: Any) -> int:
    """The latest year with both BACI trade and WGI data (the rule of ``crmsec run``)."""
    return _latest_list_year(criticality_data(con))


def _latest_list_year(data: Any) -> int:
    return int(min(data.trade["year"].max(), data.governance["year"].max() + 1))


def list_years(con: Any) -> list[int]:
    data = criticality_data(con)
    last = _latest_list_year(data)
    first = max(int(data.trade["year"].min()), int(data.governance["year"].min()) + 1, last - 9)
    return list(range(first, last + 1))


def _nl_list(con: Any, year: int | None) -> tuple[pd.DataFrame, int, list[int], list[str]]:
    """The national list of ``year`` (latest when None): (list, year, list years, value-added basis notes)."""
    P = _pipeline()
    data = criticality_data(con)
    years = list_years(con)
    y = year if year is not None else years[-1]
    if y not in years:
        raise YearNotAvailable(y, years, "the NL list is computed for")
    lst = cached(con, "nl", y, compute=lambda: P.national_list(data, y))
    basis = lst["va_basis"].dropna().unique().tolist() if "va_basis" in lst else []
    notes = [f"value added basis: {b}" for b in basis]
    from crmsec.criticality.national_list import eu_view_note

    if borrowed := eu_view_note(lst):  # entries on the EU's SR are named as borrowed wherever the list goes
        notes.append(borrowed)
    return lst, y, years, notes


def _fmt(v: Any, spec: str = ".2f") -> str:
    v = clean(v)
    return "n/a" if v is None else format(v, spec)


def _eu_drivers(r: pd.Series) -> str:
    parts = [f"HHI·WGI {_fmt(r.get('hhi_gs'))}" if "hhi_gs" in r else None,
             f"IR {_fmt(r.get('ir'), '.0%')}" if "ir" in r else None,
             f"EoL-RIR {_fmt(r.get('eol_rir'), '.0%')}" if "eol_rir" in r else None,
             f"SI_SR {_fmt(r.get('si_sr'))}" if "si_sr" in r else None]
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else "published SR/EI (no input breakdown for this year)"


def criticality(con: Any, scope: str, year: int | None, method: str) -> dict[str, Any]:
    """Criticality results from :mod:`crmsec.criticality.pipeline`.

    * ``eu``/``eu``: :func:`eu_assessment` (published SR/EI, recomputation where available), thresholds 1.0/2.8.
    * ``nl``/``eu``: :func:`national_list` — ``sr`` = SR_NL (the EU SR where ``sr_basis`` says borrowed; the
      notes name those entries), ``ei`` = value added exposed [M EUR] (basis in the notes), ``critical`` = on
      the list; no EU thresholds (the list is rank-based).
    * ``*``/``geopolrisk``: :func:`geopolrisk_table` (corrected mode) for NL or the EU-27 as one unit.
    """
    P = _pipeline()
    data = criticality_data(con)
    if method == "eu" and scope == "eu":
        years = list(P.ASSESSMENT_YEARS)
        y = year if year is not None else years[-1]
        if y not in years:
            raise YearNotAvailable(y, years, "the EU assessed in")
        def with_drivers() -> pd.DataFrame:
            table = cached(con, "eu", y, compute=lambda: P.eu_assessment(data, y))
            return table.assign(drivers=table.apply(_eu_drivers, axis=1))

        table = cached(con, "eu_drivers", y, compute=with_drivers)
        return {"table": table, "year": y, "years": years, "sr_threshold": 1.0, "ei_threshold": 2.8,
                "method_version": "eu-crm-2017-guidelines", "notes": [f"data vintage {data.vintage}"]}
    if method == "eu" and scope == "nl":
        lst, y, years, notes = _nl_list(con, year)
        table = lst.rename(columns={"sr_nl": "sr"}).assign(ei=lst["va_exposed_meur"], critical=lst["on_list"],
                                                            stage_assessed=lst.get("stage"))
        return {"table": table, "year": y, "years": years, "sr_threshold": None, "ei_threshold": None,
                "method_version": "crmsec national list", "x_label": "value added exposed (M EUR)",
                "y_label": "SR_NL (EU SR where borrowed)", "notes": notes}
    # GeoPolRisk
    years = list_years(con)
    y = year if year is not None else years[-1]
    unit = {"NLD": ["NLD"]} if scope == "nl" else {"EU27": data.eu27()}
    table = cached(con, "gpr", scope, y, compute=lambda: P.geopolrisk_table(data, "corrected", years=[y], units=unit))
    return {"table": table, "year": y, "years": years, "method_version": "geopolrisk corrected",
            "notes": ["GeoPolRisk, corrected mode (NaN with a reason where governance or trade is missing)"]}


def geopolrisk_trend(con: Any, material_id: str, country: str = "NLD") -> list[dict[str, Any]] | None:
    """GeoPolRisk score of ``country``'s imports of ``material_id`` by year, or None when not in this build."""
    try:
        P = _pipeline()
        data = criticality_data(con)
    except EngineUnavailable:
        return None
    except Exception:  # noqa: BLE001 - a store without the criticality tables (e.g. a test store)
        log.info("GeoPolRisk trend unavailable for this store", exc_info=True)
        return None
    table = cached(con, "gpr_nl_all", country, compute=lambda: P.geopolrisk_table(data, "corrected",
                                                                                  countries=[country]))
    rows = table[table["material_id"] == material_id].sort_values("year")
    if rows.empty:
        return None
    return [{"year": int(r.year), "value": clean(r.score), "reason": (getattr(r, "reason", "") or None)}
            for r in rows.itertuples()]


def material_criticality(con: Any, material_id: str) -> dict[str, Any] | None:
    """Latest EU-method SR/EI of one material, or None when the criticality engine is not in this build."""
    try:
        res = criticality(con, "eu", None, "eu")
    except EngineUnavailable:
        return None
    except Exception:  # noqa: BLE001 - test stores without the assessment tables
        log.info("criticality unavailable for this store", exc_info=True)
        return None
    rows = res["table"]
    rows = rows[rows["material_id"] == material_id]
    if rows.empty:
        return None
    out = {k: clean(v) for k, v in rows.iloc[0].items()}
    out["year"] = res["year"]
    return out


def national_list(con: Any, year: int | None = None, vs: int | None = None) -> dict[str, Any]:
    """The national list of ``year`` (latest when None) with its diff to ``vs`` (default: the year before)."""
    P = _pipeline()
    data = criticality_data(con)
    lst, y, years, notes = _nl_list(con, year)
    b = vs if vs is not None else y - 1
    diff = None
    if b in years and b != y:
        diff = cached(con, "nl_diff", y, b, compute=lambda: P.list_diff(data, y, b))
        diff = diff.rename(columns={"explanation": "cause"}) if "explanation" in diff else diff
    eu = cached(con, "eu", 2023, compute=lambda: P.eu_assessment(data, 2023))
    notes += list(lst.attrs.get("va_notes", ()))
    return {"table": lst, "year": y, "vs": b if diff is not None else None, "diff": diff, "years": years,
            "matrix": eu, "matrix_year": 2023, "sr_threshold": 1.0, "ei_threshold": 2.8,
            "sources": [f"crmsec data vintage {data.vintage}", "CEPII BACI (trade)",
                        "Eurostat Comext (NL imports by partner of processed forms, CN8, EUR, 2022–2024)",
                        "OECD National Input-Output Tables 2023 ed. (NL and EU-27 value added by industry, 2020)",
                        "World Bank WGI (governance)",
                        "European Commission, Study on the critical raw materials for the EU 2023 (SR, EI, inputs)"],
            "notes": notes}


def crma_benchmarks(con: Any) -> dict[str, Any]:
    """CRMA 2030 tracker (engine :func:`crmsec.crma.crma_table`): long table + one row per material."""
    crma = _import("crmsec.crma", "crma")
    long = cached(con, "crma", compute=lambda: crma.crma_table(con))
    return {"long": long, "table": crma.crma_wide(long),
            "notes": ["NaN means no data (the reason column says why), never zero.",
                      crma.TITLE]}


def chains_list(con: Any) -> list[dict[str, Any]]:
    ch = _import("crmsec.chains", "chains")
    return [{k: clean(v) for k, v in r.items()} for r in ch.list_chains().to_dict(orient="records")]


def chain_texts(chain_id: str, lang: str) -> dict[str, Any]:
    """Name, description and node labels of a built-in chain in ``lang`` (the YAML's ``*_nl`` fields; nodes
    without a Dutch label, i.e. NACE sectors, go through the catalog)."""
    _import("crmsec.chains", "chains")
    from crmsec.api.i18n import translator
    from crmsec.chains.model import get_chain

    c, _ = get_chain(chain_id), translator(lang)
    name, description = c.text(lang)
    return {"name": name, "description": description,
            "nodes": {n.id: n.label_nl if lang == "nl" and n.label_nl else _(n.label) for n in c.nodes}}


def chain(con: Any, chain_id: str) -> dict[str, Any]:
    """One value chain: graph, stage risk (weakest stage flagged) and the dependent sectors."""
    ch = _import("crmsec.chains", "chains")
    names = {c["chain_id"]: c["name"] for c in chains_list(con)}
    if chain_id not in names:
        raise UnknownNameError(f"unknown chain '{chain_id}'", field="chain_id", value=chain_id,
                               hint=f"one of {', '.join(sorted(names))}")
    nodes, edges = ch.chain_graph_frames(chain_id)
    risk = cached(con, "chain_risk", chain_id, compute=lambda: ch.chain_risk(chain_id, con))
    sectors = cached(con, "chain_sectors", chain_id, compute=lambda: ch.chain_sectors(chain_id, con))
    weak = risk[risk["weakest"].astype(bool)] if "weakest" in risk else risk.head(0)
    return {"chain_id": chain_id, "name": names[chain_id], "nodes": nodes, "edges": edges, "risk": risk, "sectors": sectors,
            "weakest": "; ".join(f"{r.label} (HHI {_fmt(r.hhi)}, {r.top_country} {_fmt(r.top_share, '.0%')})"
                                 for r in weak.itertuples())}


# --- scenarios -----------------------------------------------------------------------------------------
def _scenarios() -> Any:
    return _import("crmsec.scenarios", "scenarios")


def scenario_list() -> pd.DataFrame:
    return _scenarios().list_scenarios()


def scenario_texts(lang: str) -> dict[str, tuple[str, str]]:
    """(name, description) of each built-in scenario in ``lang`` (the YAML's ``name_nl``/``description_nl``)."""
    return {s.id: s.text(lang) for s in _scenarios().builtin_scenarios()}


def scenario_get(name: str) -> Any:
    sc = _scenarios()
    if name not in {s.id for s in sc.builtin_scenarios()}:
        raise UnknownNameError(f"unknown scenario '{name}'", field="name", value=name,
                               hint="list them with GET /api/v1/scenarios")
    return sc.get_scenario(name)


def scenario_parse(data: dict[str, Any], where: str = "upload") -> Any:
    from crmsec.scenarios.spec import parse_scenario

    return parse_scenario(data, where=where)


def run_scenario(con: Any, scenario: Any, *, draws: int = 0, seed: int = 0,
                 progress: Callable[[float, str], None] | None = None, depth: float | None = None,
                 duration_days: float | None = None) -> dict[str, Any]:
    """Run a scenario (id or :class:`~crmsec.scenarios.Scenario`) on the store (engine
    :func:`crmsec.scenarios.api.run_scenario_from_store`); add an ensemble of ``draws`` when > 0."""
    _scenarios()
    from crmsec.scenarios.api import ensemble_from_store, run_scenario_from_store, store_inputs

    if isinstance(scenario, str):
        scenario = scenario_get(scenario)
    step = progress or (lambda f, m="": None)
    step(0.02, "reading supply inputs")
    inputs = store_inputs(con)
    share = 0.5 if draws else 0.95
    res = run_scenario_from_store(scenario, con, inputs=inputs, depth=depth, duration_days=duration_days,
                                  progress=lambda i, n: step(0.05 + share * i / max(n, 1), f"block {i}/{n}"))
    out: dict[str, Any] = {
        "title": scenario.name, "description": scenario.description, "scenario": scenario.id,
        "title_nl": scenario.text("nl")[0], "description_nl": scenario.text("nl")[1],
        "notes_nl": scenario.notes("nl"), "probability_basis_nl": getattr(scenario, "probability_basis_nl", None),
        "probability": scenario.probability, "probability_basis": getattr(scenario, "probability_basis", ""),
        "tables": {"materials": res.materials, "sectors": res.sectors, "timeline": res.timeline,
                   "stages": res.stages},
        "sources": [s.title + (f" ({s.year})" if getattr(s, "year", None) else "") for s in scenario.sources],
        "notes": list(scenario.assumptions),
    }
    if draws:
        ens = ensemble_from_store([scenario], draws, con=con, seed=seed, inputs=inputs,
                                  progress=lambda i, n: step(0.55 + 0.4 * i / max(n, 1), f"ensemble {i}/{n}"))
        out["tables"]["ensemble"] = ens.stats
    return out


def sector_timeline(result: dict[str, Any], region: str = "NLD") -> pd.DataFrame:
    """Shortfall share over time per sector of ``region``: each sector follows its binding material's
    timeline (the engine's sector table names the binding material; nothing is recomputed)."""
    tl, sec = result["tables"]["timeline"], result["tables"]["sectors"]
    tl = tl[tl["region"] == region]
    sec = sec[sec["region"] == region]
    if sec.empty or tl.empty:
        return pd.DataFrame(columns=["t", "group", "value"])
    m = sec[["nace", "binding_material"]].merge(tl, left_on="binding_material", right_on="material_id")
    return pd.DataFrame({"t": m["day"], "group": m["nace"] + " (" + m["binding_material"] + ")",
                         "value": m["shortfall_share"]})


def shortfall_timeline(result: dict[str, Any], region: str = "NLD") -> tuple[pd.DataFrame, bool]:
    """``(frame, by_sector)``: :func:`sector_timeline` of ``region``, or — when the engine mapped no sectors —
    each material's own timeline (all regions), so a chart of the scenario always has something to show."""
    st = sector_timeline(result, region)
    if not st.empty:
        return st, True
    tl = result["tables"]["timeline"]
    return tl.assign(t=tl["day"], group=tl["region"] + " · " + tl["material_id"], value=tl["shortfall_share"]), False


# --- crisis (optimize) ---------------------------------------------------------------------------------
def _optimize_examples() -> Path:
    mod = _import("crmsec.optimize", "optimize")
    return Path(mod.__file__).parent / "examples"


def allocation_example() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((_optimize_examples() / "allocation_example.yaml").read_text(encoding="utf-8"))


def run_allocation(problem: dict[str, Any] | None, rule: str, alpha: float,
                   progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Allocation LP (engine :func:`crmsec.optimize.allocation.allocate`); default: the illustrative example."""
    _import("crmsec.optimize.allocation", "optimize")
    from crmsec.optimize.allocation import allocate
    from crmsec.optimize.inputs import parse_allocation

    step = progress or (lambda f, m="": None)
    example = problem is None
    data = allocation_example() if example else problem
    parsed = parse_allocation(data, source="allocation input")
    step(0.2, "solving the allocation LP")
    res = allocate(parsed, rule, alpha=alpha)
    notes = ["ILLUSTRATIVE INPUT — NOT DATA: the bundled example uses invented round numbers "
             "(crmsec/optimize/examples/allocation_example.yaml)."] if example else []
    return {"title": parsed.name, "tables": {"sectors": res.sectors, "materials": res.materials,
                                             "allocation": res.allocation, "binding": res.binding},
            "summary": {k: clean(v) for k, v in res.summary.items() if _scalar(v)},
            "text": res.explanation, "notes": notes, "illustrative": example}


def run_stockpile(service_level: float | None, budget_eur: float | None,
                  progress: Callable[[float, str], None] | None = None, *, pool: bool = False,
                  pool_rule: str = "consumption") -> dict[str, Any]:
    """Two-stage stockpile LP on the bundled illustrative scenario set (engine :mod:`crmsec.optimize`):
    NL national stocks, or with ``pool`` the coalition of the example members pooled versus national."""
    _import("crmsec.optimize.stockpile", "optimize")
    from crmsec.optimize.stockpile import pool_stockpile, size_stockpile

    ex = _optimize_examples()
    step = progress or (lambda f, m="": None)
    scn = pd.read_csv(ex / "stockpile_scenarios_example.csv")
    mats = pd.read_csv(ex / "stockpile_materials_example.csv")
    tiers = pd.read_csv(ex / "stockpile_tiers_example.csv")
    notes = ["ILLUSTRATIVE INPUT — NOT DATA: crmsec/optimize/examples/stockpile_*_example.csv."]
    if pool:
        members = pd.read_csv(ex / "stockpile_members_example.csv")
        step(0.2, "solving the national and pooled stock LPs")
        res = pool_stockpile(scn, mats, members, rule=pool_rule, tiers=tiers, service_level=service_level,
                             budget_eur=budget_eur)
        return {"title": "pooled stockpile", "pooled": True,
                "tables": {"comparison": res.comparison, "members": res.members, "flows": res.flows},
                "summary": {k: clean(v) for k, v in res.summary.items() if _scalar(v)},
                "text": res.explanation, "illustrative": True, "notes": notes}
    step(0.2, "solving the two-stage stockpile LP")
    res = size_stockpile(scn, mats, tiers=tiers, budget_eur=budget_eur, service_level=service_level, country="NLD")
    return {"title": "stockpile", "pooled": False, "tables": {"stock": res.stock, "scenarios": res.scenarios},
            "summary": {k: clean(v) for k, v in res.summary.items() if _scalar(v)},
            "text": res.explanation, "illustrative": True, "notes": notes}


def _scalar(v: Any) -> bool:
    return isinstance(v, int | float | str | bool | np.generic) or v is None


# --- projects ------------------------------------------------------------------------------------------
def project_registry(url: str | None) -> Any:
    _import("crmsec.projects.registry", "projects")
    from crmsec.projects.service import open_registry

    return open_registry(url)  # a new registry starts with the 60 CRMA Strategic Projects


def appraise_project(case_data: dict[str, Any], instruments: list[str], n_paths: int, seed: int,
                     progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Monte Carlo appraisal (engine :func:`crmsec.projects.appraisal.appraise`) with one instrument package."""
    _import("crmsec.projects.appraisal", "projects")
    from crmsec.projects.appraisal import appraise
    from crmsec.projects.case import load_case
    from crmsec.projects.instruments import package

    step = progress or (lambda f, m="": None)
    case = load_case(case_data)
    pkgs = [package("package", *instruments)] if instruments else []
    step(0.1, f"simulating {n_paths} price paths")
    res = appraise(case, pkgs, n_paths=n_paths, seed=seed)
    return {"title": case.name if hasattr(case, "name") else "appraisal",
            "tables": {"summary": res.summary, "fan": res.fan},
            "summary": {"n_paths": res.n_paths, "seed": res.seed, "valuation": res.valuation, "method": res.method}}
