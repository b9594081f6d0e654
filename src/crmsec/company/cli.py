"""CLI: ``crmsec company assess FILE`` — a company's exposure to critical raw materials (nothing is stored)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from crmsec.output import PROVENANCE_OPT, Format, emit, stderr

app = typer.Typer(help="Company self-assessment: how exposed is my bill of materials?", no_args_is_help=True)


class Lang(str, enum.Enum):  # noqa: UP042 - typer needs a str-mixin Enum for choices
    nl = "nl"
    en = "en"


class Table(str, enum.Enum):  # noqa: UP042
    materials = "materials"
    scenarios = "scenarios"
    products = "products"
    actions = "actions"


@app.command("assess")
def assess(
    file: Path = typer.Argument(..., help="Purchases / bill of materials as CSV or XLSX (see `crmsec company "
                                          "assess --help`; example: src/crmsec/company/examples/example_company.csv)."),
    lang: Lang = typer.Option(Lang.en, "--lang", help="Language of drivers and actions."),
    table: Table = typer.Option(Table.materials, "--table",
                                help="materials (ranking), scenarios, products (revenue at risk) or actions."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default vintage)."),
    fmt: Format = typer.Option(Format.table, "--format"),
    output: Path | None = typer.Option(None, "--output"),
    provenance: bool = PROVENANCE_OPT,
) -> None:
    """Rank the company's materials by exposure: national/EU lists, own supplier concentration vs the world,
    tonnes and revenue at risk in each built-in disruption scenario, and recommended actions.

    Columns of FILE: material, quantity_t, basis (gross|contained); optional supplier_country,
    share_of_purchases, product, nace, revenue_meur, stock_days.
    """
    from crmsec.company import assess_file

    stderr.print(f"assessing {file} (processed in memory; nothing is stored) …")
    result = assess_file(file, lang=lang.value, store=store)
    emit(result.tables()[table.value], fmt, output, title=f"Company exposure — {table.value}")
