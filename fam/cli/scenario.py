"""``fam scenario``: scenario workbooks (``fam scenario template NAME.xlsx``)."""

from __future__ import annotations

from pathlib import Path

import click

from fam.errors import InputError


@click.group(name="scenario")
def scenario() -> None:
    """Scenario files and workbooks."""


@scenario.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def template(path: Path, force: bool) -> None:
    """Write a blank scenario workbook PATH (.xlsx) to fill in and run with `fam run PATH`.

    The Inputs sheet lists every scenario key with its default, type and allowed values (data
    validation); the UnitCosts sheet may add or replace unit costs. Relative file paths in it
    resolve from the workbook's folder.
    """
    from fam.inputs.loading import load_optimism_bias
    from fam.inputs.unit_costs import load_deflators
    from fam.writers.workbook import write_template

    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path}: expected a file name ending in .xlsx")
    if path.exists() and not force:
        raise InputError(f"{path}: already exists; use --force to replace it")
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: folder not found")
    write_template(path, load_deflators(), load_optimism_bias())
    click.echo(str(path))
