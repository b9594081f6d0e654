"""CLI: ``crmsec circularity run|assumptions`` (registered on the root app with ``register(app)``)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from crmsec.errors import InputError
from crmsec.output import PROVENANCE_OPT, Format, emit, stderr

app = typer.Typer(help="Circularity: NL urban mine of batteries → secondary supply of CRMs (t contained).",
                  no_args_is_help=True)


class Scenario(str, enum.Enum):  # noqa: UP042 - typer needs a str-mixin Enum for choices
    baseline = "baseline"
    targets = "targets"


class View(str, enum.Enum):  # noqa: UP042
    supply = "supply"
    flows = "flows"
    products = "products"


def _years(spec: str | None, until: int) -> list[int] | None:
    if spec is None:
        return sorted({*range(2025, until + 1, 5), until})
    if spec == "all":
        return None
    try:
        return [int(x) for x in spec.split(",") if x.strip()]
    except ValueError as exc:
        raise InputError(f"--years must be a comma-separated list of years or 'all', got {spec!r}") from exc


@app.command("run")
def run_cmd(
    scenario: Scenario = typer.Option(Scenario.baseline, "--scenario",
                                      help="baseline (observed rates held) or targets (EU Battery Regulation)."),
    until: int = typer.Option(2050, "--until", help="Last model year (2025–2100)."),
    pom_growth: float = typer.Option(0.0, "--pom-growth", help="Growth of products put on the market per year "
                                     "after the last NL figure, as a fraction (default 0 = held constant)."),
    years: str | None = typer.Option(None, "--years", help="Years to show: '2030,2035' or 'all' "
                                     "(default: every 5 years from 2025 and the last year)."),
    view: View = typer.Option(View.supply, "--view", help="supply (per material), flows (per product and "
                              "material) or products (unit-level stocks and flows)."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage); for CRMA figures."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Secondary supply of CRMs from NL end-of-life batteries, by material and year (t contained element)."""
    from crmsec.circularity import run, secondary_supply

    shown = _years(years, until)
    res = run(scenario.value, until, pom_growth)
    stderr.print(f"mass balance closed (max relative residual {res.balance_residual:.1e}); "
                 "assumptions: crmsec circularity assumptions")
    if view is View.flows:
        frame = res.flows
    elif view is View.products:
        frame = res.products.drop(columns=["lifetime"])
    else:
        from crmsec.store import open_store

        try:
            con = open_store(store)
        except Exception as exc:  # noqa: BLE001 - the CRMA column is optional; say why it is missing
            stderr.print(f"[yellow]no store ({exc}); CRMA columns left empty[/yellow]")
            con = None
        try:
            frame = secondary_supply(res, con)
        finally:
            if con is not None:
                con.close()
    if shown is not None:
        frame = frame[frame["year"].isin(shown)]
    if fmt is Format.table and output is None:  # compact terminal view; csv/json/--output keep every column
        if view is View.flows:
            frame = frame[frame["flow"].isin(["end_of_life", "collected", "secondary_supply"])]
            frame = frame[["year", "product", "material_id", "flow", "value", "unit", "reason"]]
        elif view is View.supply:
            frame = frame[["material_id", "year", "end_of_life_t", "collected_t", "secondary_supply_t",
                           "share_of_nl_battery_pom", "recycled_content_minimum", "share_nl_consumption", "crma_contribution", "crma_recycling_eu", "reason"]]
        frame = frame.assign(reason=frame["reason"].str.split(":").str[0]) if "reason" in frame else frame
    emit(frame.reset_index(drop=True), fmt, output,
         title=f"NL secondary supply from batteries — scenario {scenario.value} [t contained element]")


@app.command("assumptions")
def assumptions_cmd(fmt: Format = typer.Option(Format.table, "--format"),
                    output: Path | None = typer.Option(None, "--output"),
                    provenance: bool = PROVENANCE_OPT) -> None:
    """The labelled assumption table (every input not read from a vendored file)."""
    from crmsec.circularity import assumptions

    emit(assumptions(), fmt, output, title="Circularity assumptions")


def register(root: typer.Typer) -> None:
    """Add ``crmsec circularity`` to the root app."""
    root.add_typer(app, name="circularity")
