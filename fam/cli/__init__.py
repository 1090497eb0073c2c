"""The `fam` command line: a thin layer over fam.api.

Input errors print one line on stderr and exit 2; an internal error exits 1 with a short
message and the path of a log holding the traceback.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from fam.errors import InputError
from fam.version import __version__


def _fail_internal(exc: BaseException) -> None:
    """One line on stderr and exit 1; the traceback goes to a log only the user can read."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    try:
        fd, name = tempfile.mkstemp(prefix=f"fam-error-{stamp}-{os.getpid()}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp: mode 0600
            f.write("".join(traceback.format_exception(exc)))
        where = f"traceback in {Path(name)}"
    except OSError as e:
        where = f"could not write the traceback log: {e.strerror or e}"
    click.echo(f"internal error: {type(exc).__name__}: {text} ({where})", err=True)
    sys.exit(1)


class FamGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo("error: " + " ".join(str(e).split()), err=True)  # always one line
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - the last line of defence
            _fail_internal(e)


@click.group(cls=FamGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fam")
def cli() -> None:
    """fam: does a service for people with multiple and complex needs pay for itself?

    Projects public-service use with and without the programme by Monte Carlo and writes
    returns on investment as a workbook, a PDF briefing, summary.json and iterations.csv.
    """


def _progress(total: int, quiet: bool) -> tuple[Callable[[int], None] | None, Any]:
    if quiet or not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="it", desc="Monte Carlo", file=sys.stderr, leave=False)
    return bar.update, bar


def _salt(client_detail: bool, salt_file: Path | None) -> bytes | None:
    if not client_detail:
        if salt_file is not None:
            raise InputError("--salt-file: only used with --client-detail")
        return None
    from fam.writers.privacy import new_salt, read_salt

    return new_salt() if salt_file is None else read_salt(salt_file)


def _money(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--iterations",
    "-n",
    type=click.IntRange(1),
    help="Monte Carlo iterations (default: the scenario's monte_carlo.iterations).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    help="Random seed (default: the scenario's "
    "monte_carlo.seed). The same seed gives identical results.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: the scenario's outputs.dir, else reports/<scenario>).",
)
@click.option("--force", is_flag=True, help="Replace an existing report in the output folder.")
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    help="Iterations per chunk (memory control; results do not depend on it).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(0),
    default=None,
    help="Run the Monte Carlo on N local processes (0: one per CPU). Results are identical "
    "to a serial run.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run the Monte Carlo on a running Dask cluster, e.g. tcp://10.0.0.5:8786 (needs "
    "fam[dask]). Results are identical to a serial run.",
)
@click.option(
    "--client-detail",
    is_flag=True,
    help="Add a ClientDetail sheet to the workbook: one row per client, pseudonymised with a "
    "salted hash (client identifiers never appear).",
)
@click.option(
    "--salt-file",
    type=click.Path(path_type=Path),
    help="With --client-detail: a private file whose bytes salt the pseudonyms, so they are "
    "stable across runs (default: a new random salt each run). Keep it out of the reports.",
)
def run(
    scenario: Path,
    iterations: int | None,
    seed: int | None,
    out_dir: Path | None,
    force: bool,
    chunk_size: int | None,
    quiet: bool,
    workers: int | None,
    scheduler: str | None,
    client_detail: bool,
    salt_file: Path | None,
) -> None:
    """Run SCENARIO (a .yaml file, or a workbook written by fam) and write its reports.

    Writes <scenario>.xlsx, <scenario>.pdf, summary.json and iterations.csv, then prints
    their paths and the headline: NPV, £ back per £1 and the chance of breaking even.
    """
    from fam import api

    salt = _salt(client_detail, salt_file)
    mi = api.load_scenario(scenario)
    outside = int(mi.data_notes.get("rows_outside_windows", 0) or 0)
    if outside:
        click.echo(
            f"warning: {mi.scenario.cohort.service_use}: {outside} row(s) (first on line "
            f"{mi.data_notes.get('first_row_outside_windows')}) fall outside every window the "
            "model uses (before the baseline window or after the horizon) and are ignored",
            err=True,
        )
    n = iterations or mi.scenario.monte_carlo.iterations
    from fam.engine.parallel import make_mapper

    mapper = make_mapper(workers, scheduler)
    from fam.analyses.stage import passes

    update, bar = _progress(n * passes(mi, n), quiet)
    try:
        res = api.run(
            mi, seed=seed, iterations=n, chunk_size=chunk_size, progress=update, mapper=mapper
        )
    finally:
        if bar is not None:
            bar.close()
        if mapper is not None:
            mapper.close()
    paths = api.write_reports(res, out_dir, force=force, client_detail_salt=salt)
    for p in paths.values():
        click.echo(str(p))
    h = res.headline()

    def line(h: dict[str, Any]) -> str:
        bcr = "n/a" if h["bcr"] is None else f"£{h['bcr']:.2f}"
        return (
            f"NPV {_money(h['npv'])} (90% interval {_money(h['npv_p5'])} to "
            f"{_money(h['npv_p95'])}); {bcr} back per £1; "
            f"chance of breaking even {h['prob_npv_positive']:.0%}"
        )

    if h["basis"] == "updated":
        click.echo(
            f"updated with the observed follow-up: mean {line(h)} "
            f"(before the data: {line(res.prior_headline())})"
        )
    else:
        click.echo(line(h))
    if res.inputs.edits:
        n = len(res.inputs.edits)
        click.echo(
            f"edited: {n} input{'s' if n > 1 else ''} changed since fam wrote this workbook "
            "(listed on the briefing's first page, the workbook's Cover and in summary.json)"
        )


def _register() -> None:
    from fam.cli.compare import compare
    from fam.cli.importing import import_
    from fam.cli.scenario import scenario
    from fam.cli.sensitivity import sensitivity
    from fam.cli.synth import synth
    from fam.cli.unit_costs import unit_costs

    cli.add_command(unit_costs)
    cli.add_command(synth)
    cli.add_command(sensitivity)
    cli.add_command(scenario)
    cli.add_command(compare)
    cli.add_command(import_)


_register()


def main() -> None:
    cli(prog_name="fam")
