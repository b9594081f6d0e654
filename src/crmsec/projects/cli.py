"""`crmsec project add|import|export|list|show|history|seed|appraise|calibrate` and `crmsec portfolio`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from crmsec.errors import DataError, InputError
from crmsec.output import PROVENANCE_OPT, Format, emit, stderr

app = typer.Typer(help="Strategic-project pipeline, business-case appraisal with public instruments.",
                  no_args_is_help=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="registry database: SQLAlchemy URL or SQLite file "
                                           "(default $CRMSEC_PROJECTS_DB_URL, $CRMSEC_PROJECTS_DB or data/projects/projects.sqlite)")]
FmtOpt = Annotated[Format, typer.Option("--format", help="table, csv or json")]
OutOpt = Annotated[Path | None, typer.Option("--output", help="write the result to this file (.csv/.json/.xlsx/.parquet)")]
RoleOpt = Annotated[str, typer.Option("--role", help="viewer role: public (no restricted records), analyst, admin")]


def _registry(db: str | None):  # noqa: ANN202 - local import keeps `crmsec --help` fast
    from crmsec.projects.service import open_registry

    return open_registry(db)  # a brand-new registry starts with the 60 CRMA Strategic Projects


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="unique project code, e.g. NL-REC-01")],
    name: Annotated[str, typer.Option(help="project name")],
    sponsor: Annotated[str | None, typer.Option(help="sponsor / promoter")] = None,
    country: Annotated[list[str] | None, typer.Option(help="host country ISO3 (repeat for several)")] = None,
    material: Annotated[list[str] | None, typer.Option(help="registry material_id (repeat)")] = None,
    stage: Annotated[list[str] | None, typer.Option(help="extraction|processing|recycling|substitution")] = None,
    status: Annotated[str, typer.Option(help="development status")] = "feasibility",
    capacity: Annotated[float | None, typer.Option(help="nameplate capacity (number)")] = None,
    capacity_unit: Annotated[str | None, typer.Option(help="unit of --capacity, e.g. 't/yr lithium hydroxide'")] = None,
    capacity_by_year: Annotated[str | None, typer.Option(help="'2028:1000 t/yr;2029:2000 t/yr'")] = None,
    capex_meur: Annotated[float | None, typer.Option(help="capex [EUR million]")] = None,
    opex_meur_per_year: Annotated[float | None, typer.Option(help="opex [EUR million/yr]")] = None,
    start_year: Annotated[int | None, typer.Option(help="start of production")] = None,
    confidentiality: Annotated[str, typer.Option(help="public or restricted")] = "public",
    notes: Annotated[str | None, typer.Option(help="free text")] = None,
    case: Annotated[Path | None, typer.Option(help="economic case YAML to store with the project")] = None,
    actor: Annotated[str, typer.Option(help="name recorded in the audit trail")] = "cli",
    db: DbOpt = None,
) -> None:
    """Add one project (one transaction with its audit row)."""
    reg = _registry(db)
    rec = {"code": code, "name": name, "sponsor": sponsor, "countries": country or [], "materials": material or [],
           "stages": stage or [], "status": status, "capacity": capacity, "capacity_unit": capacity_unit,
           "capex_meur": capex_meur, "opex_meur_per_year": opex_meur_per_year, "start_year": start_year,
           "confidentiality": confidentiality, "notes": notes}
    if capacity_by_year:
        rec["capacity_by_year"] = capacity_by_year
    case_data = None
    if case is not None:
        from crmsec.projects.case import load_case

        case_data = load_case(case).model_dump(mode="json")  # validate before writing anything
    reg.add(rec, actor=actor)
    if case_data is not None:
        reg.set_case(code, case_data, actor=actor)
    stderr.print(f"[green]added[/green] project {code} to {reg.safe_url}")


@app.command("update")
def update(
    code: Annotated[str, typer.Argument(help="project code")],
    field: Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE (repeat), e.g. status=construction")] = None,
    case: Annotated[Path | None, typer.Option(help="economic case YAML to store (validated first)")] = None,
    actor: Annotated[str, typer.Option(help="name recorded in the audit trail")] = "cli",
    db: DbOpt = None,
) -> None:
    """Change fields of a project and/or store its economic case (each change audited)."""
    reg = _registry(db)
    changes = {}
    for item in field or []:
        if "=" not in item:
            raise InputError(f"--set {item!r}: write FIELD=VALUE")
        k, v = item.split("=", 1)
        changes[k.strip()] = v.strip()
    if not changes and case is None:
        raise InputError("nothing to update: give --set FIELD=VALUE and/or --case FILE")
    case_data = None
    if case is not None:
        from crmsec.projects.case import load_case

        case_data = load_case(case).model_dump(mode="json")
    if changes:
        reg.update(code, changes, actor=actor)
    if case_data is not None:
        reg.set_case(code, case_data, actor=actor)
    stderr.print(f"[green]updated[/green] project {code}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX file, one project per row (columns as `project export`)")],
    actor: Annotated[str, typer.Option(help="name recorded in the audit trail")] = "cli-import",
    sheet: Annotated[str, typer.Option(help="XLSX sheet name or index")] = "0",
    db: DbOpt = None,
    fmt: FmtOpt = Format.table,
    output: OutOpt = None,
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Import projects (upsert by code). All-or-nothing: an invalid row is reported with its row number and
    field, and nothing is written."""
    reg = _registry(db)
    res = reg.import_file(path, actor=actor, sheet=int(sheet) if sheet.isdigit() else sheet)
    counts = res["action"].value_counts().to_dict()
    stderr.print(f"[green]imported[/green] {len(res)} rows into {reg.safe_url}: {counts}")
    emit(res, fmt, output, title="import")


@app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="target .csv or .xlsx")],
    role: RoleOpt = "public",
    db: DbOpt = None,
) -> None:
    """Export the projects visible to --role in the import layout."""
    reg = _registry(db)
    reg.export_file(path, role=role)  # type: ignore[arg-type]
    stderr.print(f"[green]wrote[/green] {path}")


@app.command("seed")
def seed(db: DbOpt = None) -> None:
    """Load (or refresh) the 60 CRMA Strategic Projects of 2025 from data/raw/crma_strategic_projects."""
    from crmsec.projects.seed import seed_strategic_projects

    reg = _registry(db)
    res = seed_strategic_projects(reg)
    stderr.print(f"[green]seeded[/green] {reg.safe_url}: {res['action'].value_counts().to_dict()}")


@app.command("list")
def list_(
    role: RoleOpt = "public",
    material: Annotated[str | None, typer.Option(help="filter by material_id")] = None,
    country: Annotated[str | None, typer.Option(help="filter by host ISO3")] = None,
    stage: Annotated[str | None, typer.Option(help="filter by stage")] = None,
    status: Annotated[str | None, typer.Option(help="filter by status")] = None,
    all_columns: Annotated[bool, typer.Option("--all-columns", help="every field, not the overview")] = False,
    db: DbOpt = None,
    fmt: FmtOpt = Format.table,
    output: OutOpt = None,
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """List the pipeline (restricted projects are hidden from the public role)."""
    reg = _registry(db)
    frame = reg.list_projects(role=role, material=material, country=country, stage=stage, status=status)  # type: ignore[arg-type]
    if not all_columns and fmt is Format.table and output is None:
        frame = frame[["code", "name", "countries", "materials", "stages", "status", "capacity", "capex_meur",
                       "start_year", "confidentiality", "has_case"]]
    emit(frame, fmt, output, title=f"projects ({len(frame)})")


@app.command("show")
def show(code: str, role: RoleOpt = "analyst", db: DbOpt = None, fmt: FmtOpt = Format.table,
         output: OutOpt = None,
         provenance: bool = PROVENANCE_OPT) -> None:
    """One project, field by field."""
    rec = _registry(db).get(code, role=role)  # type: ignore[arg-type]
    rec["case"] = "stored" if rec.get("case") else None
    frame = pd.DataFrame({"field": list(rec), "value": [str(v) if v not in (None, []) else "" for v in rec.values()]})
    emit(frame, fmt, output, title=code)


@app.command("history")
def history(code: Annotated[str | None, typer.Argument()] = None, db: DbOpt = None, fmt: FmtOpt = Format.table,
            output: OutOpt = None,
            provenance: bool = PROVENANCE_OPT) -> None:
    """Audit trail of changes (all projects or one)."""
    frame = _registry(db).history(code)
    if fmt is Format.table and output is None:
        frame = frame.drop(columns=["before", "after"])
    else:
        import json

        for col in ("before", "after"):
            frame[col] = frame[col].map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
    emit(frame, fmt, output, title="audit")


def _parse_packages(instrument: list[str] | None, packages: list[str] | None):  # noqa: ANN202
    from crmsec.projects.instruments import package
    from crmsec.projects.service import as_packages

    out = as_packages(instrument or [])
    for spec in packages or []:
        if "@" not in spec:
            raise InputError(f"--package {spec!r}: write NAME@type:key=value;type:key=value")
        name, body = spec.split("@", 1)
        out.append(package(name.strip(), *[s for s in body.split(";") if s.strip()]))
    return out


@app.command("appraise")
def appraise_cmd(
    code: Annotated[str, typer.Argument(help="registry project code (or a label when --case is given)")],
    instrument: Annotated[list[str] | None, typer.Option(
        "--instrument", help="instrument 'type:key=value,...' (repeat; together they form ONE package), e.g. "
        "floor:strike=14000, grant:amount=5e7, guarantee:share=0.8,spread=0.01, cfd:strike=15000, "
        "collar:floor=12000,cap=20000, offtake:share=0.5,price=15000, first_loss:amount=3e7, equity:share=0.2")] = None,
    package_: Annotated[list[str] | None, typer.Option(
        "--package", help="a named package 'NAME@spec;spec' (repeat to compare several)")] = None,
    case: Annotated[str | None, typer.Option(help="case YAML (or 'example' for the packaged illustrative case)")] = None,
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths (even)")] = 10_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 20250325,
    valuation: Annotated[str, typer.Option(help="real_world or risk_neutral (one convention for all numbers)")] = "real_world",
    fan: Annotated[bool, typer.Option("--fan", help="print fan-chart percentiles per year instead of the summary")] = False,
    role: RoleOpt = "analyst",
    db: DbOpt = None,
    fmt: FmtOpt = Format.table,
    output: OutOpt = None,
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Monte Carlo appraisal of a project with and without instrument packages (methods §6)."""
    from crmsec.projects.data import EXAMPLE_CASE
    from crmsec.projects.service import appraise_project
    from crmsec.safe_input import MAX_PATHS, check_options

    check_options(paths=(paths, 2, MAX_PATHS), seed=(seed, 0, 2**32 - 1))
    if valuation not in ("real_world", "risk_neutral"):
        raise InputError(f"--valuation must be real_world or risk_neutral, not {valuation!r}")
    pkgs = _parse_packages(instrument, package_)
    the_case = EXAMPLE_CASE if case == "example" else case
    reg = None if the_case is not None else _registry(db)
    with stderr.status(f"appraising {code}: {paths:,} paths × {1 + len(pkgs)} packages"):
        res = appraise_project(code, pkgs, case=the_case, registry=reg, role=role, n_paths=paths, seed=seed,  # type: ignore[arg-type]
                               valuation=valuation)  # type: ignore[arg-type]
    stderr.print(f"valuation: {res.valuation}; paths {res.n_paths:,}; seed {res.seed}; case '{res.case.name}'")
    if fan:
        emit(res.fan, fmt, output, title=f"{code}: fan chart")
        return
    frame = res.summary
    if fmt is Format.table and output is None:
        frame = frame.set_index("package").T.reset_index(names="metric")
    emit(frame, fmt, output, title=f"{code}: appraisal ({res.valuation})")


@app.command("security")
def security(
    material: Annotated[str, typer.Option(help="registry material_id, e.g. lithium")],
    stage: Annotated[str, typer.Option(help="assessed stage: extraction or processing")],
    q_share: Annotated[float, typer.Option("--q-share", help="project output as a share of EU sourcing at the stage (Q/S)")],
    host: Annotated[str, typer.Option(help="host country ISO3")],
    counterfactual: Annotated[str, typer.Option(help="displacement or additive (or both)")] = "both",
    fmt: FmtOpt = Format.table,
    output: OutOpt = None,
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """ΔSR, ΔHHI_WGI,t of EU sourcing, IR and the largest third-country share for a project (EU 2023 inputs
    from the store; methods §6.5)."""
    from crmsec.projects.data import project_delta_sr_from_store

    kinds = ("displacement", "additive") if counterfactual == "both" else (counterfactual,)
    if any(k not in ("displacement", "additive") for k in kinds):
        raise InputError(f"--counterfactual must be displacement, additive or both, not {counterfactual!r}")
    rows = [project_delta_sr_from_store(material, stage, q_share, host, counterfactual=k) for k in kinds]
    emit(pd.DataFrame(rows), fmt, output, title=f"security contribution: {material} {stage}")


@app.command("calibrate")
def calibrate(
    commodity: Annotated[list[str], typer.Argument(help="World Bank series: copper nickel aluminium zinc lead tin ...")],
    model: Annotated[str, typer.Option(help="ou (falls back to gbm without reversion) or gbm")] = "ou",
    start: Annotated[str, typer.Option(help="first month used")] = "1990-01-01",
    fmt: FmtOpt = Format.table,
    output: OutOpt = None,
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Calibrate price processes by OLS on the World Bank monthly series (real, MUV-deflated)."""
    from crmsec.projects.data import world_bank_price_models

    if model not in ("ou", "gbm"):
        raise InputError(f"--model must be ou or gbm, not {model!r}")
    models, corr = world_bank_price_models(commodity, model=model, start=start)  # type: ignore[arg-type]
    frame = pd.DataFrame([{
        "commodity": m.name, "model": m.kind, "p0_usd_per_t": m.p0, "sigma": m.sigma, "mu": m.mu if m.kind == "gbm" else np.nan,
        "kappa": m.kappa, "half_life_yr": m.half_life if m.kind == "ou" else np.nan,
        "long_run_median_usd_per_t": float(np.exp(m.theta)) if m.kind == "ou" else np.nan, "source": m.source,
    } for m in models])
    for i, m in enumerate(models):
        frame[f"corr_{m.name}"] = corr[:, i]
    emit(frame, fmt, output, title="price-model calibration")


def portfolio(
    budget: Annotated[float, typer.Option("--budget", help="public budget: maximum expected public cost [EUR]")],
    risk_limit: Annotated[float | None, typer.Option("--risk-limit", help="maximum sum of CVaR95 of public cost [EUR]")] = None,
    options: Annotated[Path | None, typer.Option(help="option table CSV: project, package, public_cost, risk, contribution")] = None,
    package_: Annotated[list[str] | None, typer.Option(
        "--package", help="candidate package 'NAME@spec;spec' appraised for every registry project with a case")] = None,
    frontier: Annotated[int, typer.Option(help="also solve for N budgets from 0 to --budget (efficient frontier)")] = 0,
    paths: Annotated[int, typer.Option("--paths")] = 10_000,
    db: DbOpt = None,
    fmt: FmtOpt = Format.table,
    output: OutOpt = None,
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Choose projects × instrument packages under a public budget (and risk limit) to maximise security
    contribution (MIP, HiGHS)."""
    from crmsec.projects.portfolio import efficient_frontier, optimise_portfolio
    from crmsec.safe_input import MAX_PATHS, check_options

    check_options(budget=(budget, 0, 1e15), risk_limit=(risk_limit, 0, 1e15), frontier=(frontier, 0, 200),
                  paths=(paths, 2, MAX_PATHS))

    if options is not None:
        try:
            opt = pd.read_csv(options)
        except (OSError, pd.errors.ParserError) as err:
            raise DataError(f"cannot read options table: {err}", file=options) from err
    else:
        opt = _options_from_registry(db, _parse_packages(None, package_), paths)
    if frontier:
        table = efficient_frontier(opt, np.linspace(0.0, budget, frontier), risk_limit=risk_limit)
        emit(table, fmt, output, title="efficient frontier (budget vs contribution)")
        return
    res = optimise_portfolio(opt, budget, risk_limit=risk_limit)
    stderr.print(f"contribution {res.contribution:,.1f}; expected public cost {res.public_cost:,.0f} EUR "
                 f"(budget {budget:,.0f}); risk {res.risk:,.0f}; HiGHS {res.status}")
    emit(res.chosen, fmt, output, title="portfolio")


def _options_from_registry(db: str | None, pkgs: list, n_paths: int) -> pd.DataFrame:
    """Appraise every registry project (its stored case, else its labelled archetype case); contribution = mean annual secure tonnes (EU/EEA
    hosts g = 0; other hosts need the store's WGI PV)."""
    from crmsec.projects.appraisal import appraise
    from crmsec.projects.case import load_case
    from crmsec.projects.portfolio import options_from_appraisals
    from crmsec.projects.security import host_instability, secure_tonnes
    from crmsec.projects.service import record_case

    reg = _registry(db)
    frame = reg.list_projects(role="admin")
    cases, skipped = {}, []
    for code in frame["code"]:
        try:
            cases[code] = load_case(record_case(reg.get(code, role="admin"))[0])
        except InputError:  # no stored case and no archetype (no material named): said below, not hidden
            skipped.append(code)
    if skipped:
        stderr.print(f"no business case and no archetype, left out: {', '.join(skipped)}")
    if not cases:
        raise InputError("no registry project has an economic case; add cases or pass --options FILE.csv")
    hosts = {code: (case.host_country or "").upper() for code, case in cases.items()}
    eea = _eea()
    pv = _host_pv({code: host for code, host in hosts.items() if host not in eea})
    appraisals, contrib = {}, {}
    for code, case in cases.items():
        g = float(host_instability(pv.get(code, np.nan), hosts[code] in eea))
        q = np.asarray(case.products[0].quantity)
        contrib[code] = float(secure_tonnes(q[q > 0], g)["secure_t"].mean()) if (q > 0).any() else 0.0
        stderr.print(f"appraising {code} ({n_paths:,} paths, {1 + len(pkgs)} packages)")
        appraisals[code] = appraise(case, pkgs, n_paths=n_paths, with_fan=False)
    return options_from_appraisals(appraisals, contrib)


def _eea() -> set[str]:
    from crmsec.registry import group_members

    return set(group_members("eu27")) | {"NOR", "ISL", "LIE"}


def _host_pv(hosts: dict[str, str]) -> dict[str, float]:
    """Latest WGI political-stability estimate of each project's host (project code → host ISO3 outside the
    EU/EEA), read over one store connection; the store is needed only when there is such a host."""
    if not hosts:
        return {}
    latest: dict[str, float | None] = {}
    try:
        from crmsec.store import open_store

        con = open_store()
        try:
            for host in dict.fromkeys(hosts.values()):
                row = con.execute("SELECT estimate FROM wgi_pv WHERE country = ? AND estimate IS NOT NULL "
                                  "ORDER BY year DESC LIMIT 1", [host]).fetchone()
                latest[host] = None if row is None else float(row[0])
        finally:
            con.close()
    except Exception as err:  # the store is optional here; say what is missing
        code, host = next(iter(hosts.items()))
        raise DataError(f"project {code}: host {host!r} is outside the EU/EEA and its WGI political-stability "
                        f"estimate could not be read from the store ({err})",
                        hint="build the store (`crmsec data build`) or pass --options FILE.csv") from err
    out = {}
    for code, host in hosts.items():
        if latest[host] is None:
            raise DataError(f"project {code}: no WGI PV estimate for host {host!r}", hint="pass --options FILE.csv")
        out[code] = latest[host]
    return out


def register(root: typer.Typer) -> None:
    """Attach `crmsec project …` and `crmsec portfolio` to the root app."""
    root.add_typer(app, name="project")
    root.command("portfolio")(portfolio)
