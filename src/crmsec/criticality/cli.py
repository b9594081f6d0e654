"""CLI: ``crmsec assess`` (EU / NL / GeoPolRisk views, optional Monte Carlo) and ``crmsec list nl``.

Output follows DESIGN §2a: ``--format table|csv|json``, ``--output PATH`` (.csv/.json/.parquet/.xlsx);
messages and progress go to stderr. The NL value-added proxy label is printed with every NL result.
"""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crmsec.errors import InputError
from crmsec.output import PROVENANCE_OPT, Format, emit, stderr

if TYPE_CHECKING:  # pandas only where a frame is built: the GeoPolRisk compatible path runs without it
    import pandas as pd


class Scope(enum.StrEnum):
    eu = "eu"
    nl = "nl"
    world = "world"


class Method(enum.StrEnum):
    eu = "eu"
    geopolrisk = "geopolrisk"
    all = "all"


class GprMode(enum.StrEnum):
    corrected = "corrected"
    compatible = "compatible"


list_app = typer.Typer(help="National critical raw materials lists.", no_args_is_help=True)


def _data(tables: tuple[str, ...] | None = None, con: object | None = None):
    """The store tables (``con``: an open store connection to reuse; default: open the default store)."""
    from crmsec.criticality import pipeline as P

    t0 = time.perf_counter()
    data = P.load_data(con, tables=tables)
    stderr.print(f"[dim]store vintage {data.vintage} loaded in {time.perf_counter() - t0:.1f} s[/dim]")
    return data


def _config(n: int, w_sr: float, w_ei: float, below_floor: str = "eu"):
    from crmsec.criticality.national_list import ListConfig

    if below_floor not in ("eu", "exclude"):
        raise InputError(f"--below-floor {below_floor!r}: use 'eu' (EU SR, labelled borrowed) or 'exclude' "
                         "(no list slot below the materiality floor)")
    return ListConfig(n=n, w_sr=w_sr, w_ei=w_ei, below_floor_slots=below_floor == "eu")


def _show_va_notes(notes: object) -> None:
    for line in notes or ():  # type: ignore[union-attr]
        stderr.print(f"[yellow]NL value added:[/yellow] {line}")


TABLE_COLS = {
    "eu": ["material_id", "material", "sr", "ei", "critical", "stage_assessed", "near_threshold", "sr_recomputed",
           "ei_recomputed", "case", "reason", "p_critical", "driver_eu"],
    "nl": ["rank", "material", "score", "on_list", "sr_nl", "sr_basis", "sr_source", "va_exposed_meur", "va_basis",
           "imports_meur",
           "n_partners", "top_origin", "hub", "robustness",
           "p_on_list", "rank_p05", "rank_p95", "drivers"],
    "all": ["material", "sr_eu", "ei_eu", "critical_eu", "rank", "on_list", "sr_nl", "va_exposed_meur",
            "gpr_score_nl", "gpr_score_nl_compatible", "p_critical", "p_on_list"],
    "gpr": ["country", "material", "year", "hhi", "wta", "score", "price_usd_per_kg", "cf", "reason"],
    "diff": ["material", "change", "explanation"],
    "validate": ["material", "cbs_top_origin", "nl_top_origin", "nl_top_share", "agrees", "form", "cause"],
}


def _emit(frame: pd.DataFrame, fmt: Format, output: Path | None, title: str, kind: str) -> None:
    """Full frame to files and csv/json; a compact column subset for the rich table on a terminal."""
    compact = frame[[c for c in TABLE_COLS[kind] if c in frame.columns]]
    if output is not None:
        from crmsec.output import write_frame

        write_frame(frame, output)
        stderr.print(f"[green]wrote[/green] {output} ({len(frame)} rows, {frame.shape[1]} columns)")
        if fmt is Format.table:
            emit(compact, fmt, None, title=title)
        return
    emit(compact if fmt is Format.table else frame, fmt, None, title=title)


def assess(
    scope: Scope = typer.Option(Scope.eu, "--scope", help="eu: EU assessment; nl: Dutch view; world: every country"),
    year: int | None = typer.Option(None, "--year", help="Assessment (eu) or data year (nl, geopolrisk)"),
    method: Method = typer.Option(Method.eu, "--method", help="eu (SR/EI), geopolrisk, or all (side by side)"),
    draws: int = typer.Option(0, "--draws", help="Monte Carlo draws (0 = deterministic only)"),
    seed: int = typer.Option(0, "--seed", help="Seed of the Monte Carlo (results are reproducible)"),
    mode: GprMode = typer.Option(GprMode.corrected, "--mode", help="GeoPolRisk mode"),
    compare_modes: bool = typer.Option(False, "--compare-modes", help="GeoPolRisk: difference corrected vs compatible per material"),
    country: list[str] = typer.Option(None, "--country", help="GeoPolRisk units (ISO3; repeatable)"),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address for the Monte Carlo"),
    n: int = typer.Option(17, "--n", help="NL list size"),
    w_sr: float = typer.Option(1.0, "--w-sr", help="NL score weight (exponent) of supply uncertainty"),
    w_ei: float = typer.Option(1.0, "--w-ei", help="NL score weight (exponent) of Dutch value added"),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json"),
    output: Path | None = typer.Option(None, "--output", help="Write to .csv/.json/.parquet/.xlsx"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Criticality assessment: EU SR/EI, the Dutch trade view, GeoPolRisk, and their uncertainty."""
    from crmsec.safe_input import MAX_DRAWS, check_options

    check_options(draws=(draws, 0, MAX_DRAWS), seed=(seed, 0, 2**32 - 1), year=(year, 1990, 2100), n=(n, 1, 500),
                  w_sr=(w_sr, 0, 10), w_ei=(w_ei, 0, 10))
    gpr_view = method is Method.geopolrisk or scope is Scope.world  # also `--scope world --method all`
    gpr_only = gpr_view and method is not Method.all
    con = None
    if gpr_view:
        from crmsec.store import open_store

        con = open_store()
        countries = resolve_countries_arg(con, country) if country else None
        gpr_years = check_gpr_year(con, year, mode.value)
        if gpr_only and not compare_modes:  # no pandas, no engine: see gpr_compatible / gpr_corrected
            _geopolrisk_store(con, mode, scope, countries, gpr_years, fmt, output)
            return
    from crmsec.criticality import geopolrisk as gpr
    from crmsec.criticality import pipeline as P

    data = _data(("production", "trade", "wgi_pv", "materials", "countries", "wmd_hs_map") if gpr_only else None, con)
    cfg = _config(n, w_sr, w_ei)
    title = ""
    notes: object = ()
    if gpr_view:
        if method is Method.eu and scope is Scope.world:
            method = Method.geopolrisk
        units = None
        if scope is Scope.eu and not countries:
            units = {"EU27": data.eu27()}
        elif scope is Scope.nl and not countries:
            countries = ["NLD"]
        years = gpr_years
        with stderr.status("GeoPolRisk …"):
            frame = P.geopolrisk_table(data, mode.value, years=years, countries=countries, units=units)  # type: ignore[arg-type]
            if compare_modes:
                other = P.geopolrisk_table(data, "compatible" if mode is GprMode.corrected else "corrected",
                                           years=years, countries=countries, units=units)  # type: ignore[arg-type]
                pair = (other, frame) if mode is GprMode.corrected else (frame, other)
                frame = gpr.compare_modes(*pair)
                title = "GeoPolRisk: corrected vs compatible, per material"
        if not compare_modes:
            from crmsec.criticality.gpr_corrected import OUTPUT_COLUMNS

            frame = frame[list(OUTPUT_COLUMNS)]
            title = f"GeoPolRisk ({mode.value})"
            _emit(frame, fmt, output, title, "gpr")
        else:
            emit(frame, fmt, output, title=title)
        return
    if method is Method.all:
        y = year or data.latest_year()
        lst = P.national_list(data, y)  # the matrix's NL list (default config); its attrs carry the VA notes
        frame = P.criticality_matrix(data, y, nl_frame=lst)
        title = f"Criticality matrix {y} (EU {frame['eu_year'].iloc[0]} · NL list · GeoPolRisk NL)"
        notes = lst.attrs.get("va_notes", ())
    elif scope is Scope.eu:
        y = year or 2023
        frame = P.eu_assessment(data, y)
        title = f"EU criticality {y} (published SR/EI; recomputed alongside)"
    else:
        y = year or data.latest_year()
        frame = P.national_list(data, y, cfg)
        notes = frame.attrs.get("va_notes", ())
        title = f"NL view {y}: SR_NL and Dutch value added (VA: {frame['va_basis'].iloc[0]})"
    if draws > 0:
        y_nl = y if scope is not Scope.eu or method is Method.all else data.latest_year()
        from rich.progress import Progress

        with Progress(console=stderr, transient=True) as prog:
            task = prog.add_task(f"Monte Carlo {draws:,} draws", total=draws)
            mc = P.assess_uncertainty(data, y_nl, draws, seed=seed, config=cfg, scheduler=scheduler,
                                      progress=lambda done, total: prog.update(task, completed=done))
        keep = ["material_id", "p_critical", "p_on_list", "rank_p05", "rank_p50", "rank_p95", "robustness", "sr_sd",
                "driver_eu", "driver_nl"]
        frame = frame.merge(mc[[c for c in keep if c in mc.columns]], on="material_id", how="left")
        stderr.print(f"[dim]Monte Carlo: {draws:,} draws, seed {seed}; EU status with the 2023 inputs[/dim]")
    _show_va_notes(notes)
    _emit(frame, fmt, output, title, "all" if method is Method.all else scope.value)


def resolve_countries_arg(con: object, values: list[str]) -> list[str]:
    """``--country`` values (ISO3 codes or English/Dutch/official names) → ISO3 via the store's registry.

    An unknown value raises :class:`InputError` naming it and how to spell a valid one (exit 1).
    """
    import re

    def norm(x: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", x.lower()).strip()

    rows = con.execute("select iso3, name_en, name_nl, name_official from countries").fetchall()  # type: ignore[attr-defined]
    lookup: dict[str, str] = {}
    for iso3, *names in rows:
        for n in names:
            if n:
                lookup.setdefault(norm(str(n)), iso3)
        lookup[iso3.lower()] = iso3
    out, bad = [], []
    for v in values:
        hit = lookup.get(norm(v))
        (out if hit else bad).append(hit or v)
    if bad:
        raise InputError(f"--country {bad[0]!r} is not a known country; give an ISO3 code or a name from the country "
                         f"registry ({len(rows)} countries, e.g. NLD, DEU, JPN, USA, FRA or 'Netherlands')")
    return list(dict.fromkeys(out))


def check_gpr_year(con: object, year: int | None, mode: str) -> list[int] | None:
    """``--year`` for GeoPolRisk: ``None`` (all years) or a year inside the data of ``mode``; else InputError."""
    if year is None:
        return None
    if mode == "compatible":
        from crmsec.criticality import gpr_compatible as gc

        valid = gc.valid_years(con) if gc.has_tables(con) else []
    else:
        from crmsec.criticality import gpr_corrected as gk

        valid = gk.valid_years(con)
    if year not in valid:
        span = f"{valid[0]}–{valid[-1]}" if valid else "none (rebuild the store with `crmsec data build`)"
        raise InputError(f"--year {year} is outside the GeoPolRisk data ({mode} mode): valid years {span}")
    return [year]


def _gpr_units(con: object, scope: Scope, countries: list[str] | None) -> dict[str, list[str]] | None:
    """GeoPolRisk units of a CLI call: the EU-27 as one unit, the given countries (NLD for ``--scope nl``),
    or ``None`` (every country)."""
    if scope is Scope.eu and not countries:
        rows = con.execute("select iso3 from countries where eu27::boolean order by 1").fetchall()  # type: ignore[attr-defined]
        return {"EU27": [r[0] for r in rows]}
    if countries or scope is Scope.nl:
        return {c: [c] for c in (countries or ["NLD"])}
    return None


def _geopolrisk_store(con: object, mode: GprMode, scope: Scope, countries: list[str] | None,
                      years: list[int] | None, fmt: Format, output: Path | None) -> None:
    """GeoPolRisk straight from the store in one DuckDB query, without pandas: compatible mode
    (geopolrisk-py 2.0.1 cell for cell, :mod:`~crmsec.criticality.gpr_compatible`) or corrected mode
    (:mod:`~crmsec.criticality.gpr_corrected`, equal to the frame-based ``pipeline.geopolrisk_table``)."""
    from crmsec.output import emit_columns

    units = _gpr_units(con, scope, countries)
    t0 = time.perf_counter()
    if mode is GprMode.compatible:
        from crmsec.criticality import gpr_compatible as gc

        cols = gc.compatible_arrays(con, units or {c: [c] for c in gc.library_units(con)}, years or gc.valid_years(con))
        names = gc.material_names(con, list(dict.fromkeys(cols["material_id"])))
        all_cols, label = list(gc.COLUMNS), "geopolrisk-py 2.0.1 inputs"
        title = "GeoPolRisk (compatible: geopolrisk-py 2.0.1)"
    else:
        from crmsec.criticality import gpr_corrected as gk

        cols = gk.corrected_arrays(con, units, years)
        all_cols, label, title = list(gk.OUTPUT_COLUMNS), "corrected mode", "GeoPolRisk (corrected)"
    vintage = con.execute("select any_value(vintage) from meta_build").fetchone()[0]  # type: ignore[attr-defined]
    stderr.print(f"[dim]store vintage {vintage}; {label}; computed in {time.perf_counter() - t0:.2f} s[/dim]")
    if output is not None:
        frame = gc.to_frame(cols, names) if mode is GprMode.compatible else gk.to_frame(cols, gk.OUTPUT_COLUMNS)
        _emit(frame, fmt, output, title, "gpr")
        return
    if mode is GprMode.compatible:
        cols["material"] = [names.get(m, m) for m in cols["material_id"]]
    keep = TABLE_COLS["gpr"] if fmt is Format.table else all_cols
    emit_columns({c: cols[c] for c in keep}, fmt, title=title)


@list_app.command("nl")
def list_nl(
    year: int | None = typer.Option(None, "--year", help="Data year (default: latest with trade and WGI)"),
    vs: int | None = typer.Option(None, "--vs", help="Compare with this data year: which materials entered/left and why"),
    vs_store: Path | None = typer.Option(None, "--vs-store", help="Compare with another data vintage (store file)"),
    n: int = typer.Option(17, "--n", help="List size"),
    w_sr: float = typer.Option(1.0, "--w-sr", help="Score weight (exponent) of supply uncertainty"),
    w_ei: float = typer.Option(1.0, "--w-ei", help="Score weight (exponent) of Dutch value added"),
    direct: bool = typer.Option(False, "--direct", help="Direct partners (no look-through of EU hubs to ultimate origin)"),
    window: int = typer.Option(3, "--window", help="Trade years averaged (ending at --year)"),
    floor: float = typer.Option(1.0, "--floor", help="Materiality floor: NL imports (M EUR) needed in every year"),
    below_floor: str = typer.Option("eu", "--below-floor", help="Below the floor: 'eu' = EU SR, labelled borrowed (default); 'exclude' = no list slot"),
    candidates: str = typer.Option("", "--candidates", help="'watch' adds a watch list of non-Annex materials (shown separately)"),
    validate: bool = typer.Option(False, "--validate", help="Top NL origin vs CBS (2025) for the materials CBS names"),
    draws: int = typer.Option(0, "--draws", help="Monte Carlo over weights, window, form, VA basis and floor: p_on_list, rank interval, robustness"),
    drilldown: str = typer.Option("", "--drilldown", help="Show the elements of an EU group (lree, hree, pgm); they take no list slot"),
    all_rows: bool = typer.Option(False, "--all", help="Show every candidate, not only the list"),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json"),
    output: Path | None = typer.Option(None, "--output", help="Write to .csv/.json/.parquet/.xlsx"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """The Dutch national critical raw materials list (or its year-over-year diff with --vs)."""
    from crmsec.criticality import pipeline as P
    from crmsec.safe_input import check_options

    check_options(year=(year, 1990, 2100), vs=(vs, 1990, 2100), n=(n, 1, 500), w_sr=(w_sr, 0, 10),
                  w_ei=(w_ei, 0, 10), window=(window, 1, 20))
    data = _data()
    cfg = _config(n, w_sr, w_ei, below_floor)
    y = year or data.latest_year()
    if drilldown:
        from crmsec.criticality import nl_inputs as NI

        emit(NI.element_drilldown(data, year or data.latest_year(), drilldown.lower()), fmt, output,
             title=f"Elements of {drilldown.upper()} (EU 2023 inputs; shown, never ranked for a slot)")
        return
    if validate:
        from crmsec.criticality.nl_validation import cbs_validation

        _emit(cbs_validation(data, window=window, look_through=not direct, floor_meur=floor), fmt, output,
              f"NL top origin (view: {window}-year window; *_ref_year: 2024 alone) vs CBS 2025 (2024)", "validate")
        return
    kw = {"window": window, "look_through": not direct, "floor_meur": floor}
    if vs is not None or vs_store is not None:
        before = None
        if vs_store is not None:
            from crmsec.store import open_store

            before = P.load_data(open_store(vs_store))
            stderr.print(f"[dim]comparing with vintage {before.vintage} ({vs_store})[/dim]")
        lst = P.national_list(data, y, cfg, **kw)
        frame = P.list_diff(data, y, vs if vs is not None else y, cfg, data_before=before, after=lst, **kw)
        _show_va_notes(lst.attrs.get("va_notes", ()))
        if frame.empty:
            import pandas as pd

            stderr.print(f"no material entered or left the list between {vs} and {y}")
            frame = pd.DataFrame(columns=["material_id", "material", "change", "explanation"])
        label = f"{vs if vs is not None else y}{' (' + str(vs_store) + ')' if vs_store else ''}"
        _emit(frame, fmt, output, f"NL list {label} → {y}: changes and their causes (VA: {lst['va_basis'].iloc[0]})",
              "diff")
        return
    if candidates not in ("", "watch"):
        raise InputError(f"--candidates {candidates!r}: use 'watch' (or leave it out)")
    from crmsec.criticality import nl_inputs as NI

    frame = P.national_list(data, y, cfg, watch=NI.WATCH if candidates else (), **kw)
    _show_va_notes(frame.attrs.get("va_notes", ()))
    if draws > 0:
        from crmsec.criticality.nl_uncertainty import list_uncertainty

        with stderr.status(f"Monte Carlo {draws:,} draws over the structural choices …"):
            mc = list_uncertainty(data, y, draws=draws, list_n=n)
        frame = frame.merge(mc[["material_id", "p_on_list", "rank_p05", "rank_p50", "rank_p95", "robustness"]],
                            on="material_id", how="left")
    watch_rows = frame[frame["candidate_set"] == "watch"]
    if not all_rows:
        frame = frame[frame["on_list"]]
    if candidates and fmt is Format.table:
        _emit(watch_rows, fmt, None, "Watch list (not CRMA Annex II; never takes a list slot)", "nl")
    elif candidates and not all_rows:  # csv/json: the watch rows follow the list, marked candidate_set=watch
        frame = pd.concat([frame, watch_rows], ignore_index=True)
    from crmsec.criticality.national_list import eu_view_note

    note = eu_view_note(frame)
    if note:
        stderr.print(f"[yellow]supply basis:[/yellow] {note}")
    if draws > 0:
        stderr.print(f"[yellow]p_on_list:[/yellow] share of {draws:,} draws — over score weights, trade window, "
                     "trade form, VA basis, materiality floor and data noise — in which the material is on the "
                     f"list of {n} for {y}; conditional on this data vintage; not a probability of a supply "
                     "disruption. rank_p05–rank_p95 = 90 % rank interval.")
        if below_floor == "exclude":
            stderr.print("[yellow]p_on_list:[/yellow] the Monte Carlo applies the default below-floor rule (EU SR, "
                         "borrowed), not --below-floor exclude")
    win = frame.attrs.get("window") or []
    period = f"trade {min(win)}–{max(win)}, imports M EUR/yr avg; " if len(win) else ""
    _emit(frame, fmt, output,
          f"NL critical raw materials list {y} (N = {n}; {period}VA: {frame['va_basis'].iloc[0]})", "nl")


def register(app: typer.Typer) -> None:
    """Attach ``assess`` and ``list nl`` to the root app (one call from ``crmsec.cli``)."""
    app.command("assess")(assess)
    app.add_typer(list_app, name="list")
