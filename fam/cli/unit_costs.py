"""`fam unit-costs`: import the GMCA Unit Cost Database and show unit-cost tables uprated."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from fam.errors import InputError
from fam.inputs.unit_costs import (
    DEFAULT_UNIT_COSTS,
    import_gmca,
    load_deflators,
    load_unit_costs,
    uprate_costs,
    write_unit_costs,
)


def _fail(error: Exception) -> click.exceptions.Exit:
    click.echo(f"error: {error}", err=True)
    return click.exceptions.Exit(2)


@click.group(name="unit-costs")
def unit_costs() -> None:
    """Unit-cost tables: import the GMCA database, show costs uprated."""


@unit_costs.command("import-gmca")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="fam-format unit-cost CSV to write",
)
@click.option("--force", is_flag=True, help="overwrite --out if it exists")
def import_gmca_command(path: Path, out: Path, force: bool) -> None:
    """Convert a GMCA Unit Cost Database v1.4 workbook (PATH.xlsx) to a fam unit-cost CSV."""
    if out.exists() and not force:
        raise _fail(InputError(f"{out}: already exists; use --force to overwrite it"))
    try:
        table, report = import_gmca(path)
        write_unit_costs(table, out)
    except (InputError, OSError) as e:
        raise _fail(e) from None
    click.echo(report.text())
    click.echo(f"Wrote {len(table)} rows to {out}")


@unit_costs.command("show")
@click.option("--price-year", default="2024-25", show_default=True, help="price base year")
@click.option("--grep", "word", default=None, help="only services or descriptions containing it")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="unit-cost CSV (repeatable); default unit_costs/uk.csv",
)
def show_command(price_year: str, word: str | None, files: tuple[Path, ...]) -> None:
    """Print unit costs uprated to --price-year with the GDP deflator."""
    try:
        deflators = load_deflators()
        table = uprate_costs(load_unit_costs(files or [DEFAULT_UNIT_COSTS]), price_year, deflators)
    except InputError as e:
        raise _fail(e) from None
    if word:
        text = table["service"] + " " + table["description"]
        table = table[text.str.contains(word, case=False, regex=False)]
    note = " (forecast year: chained index)" if price_year in deflators.forecast_years else ""
    click.echo(f"£ at {price_year} prices{note}; {deflators.release}")
    if table.empty:
        click.echo("no rows match")
        return
    cols = ["service", "value_type", "unit", "cost", "price_year", "cost_uprated"]
    cols += ["low_uprated", "high_uprated", "confidence", "agency"]
    view = table[cols].rename(columns={"cost_uprated": f"cost_{price_year}"})
    with pd.option_context("display.width", 200, "display.max_rows", None):
        click.echo(view.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
