"""``fam compare``: run several scenarios with the same seed and compare them side by side."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command(name="compare")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: reports/compare_<first>_vs_<second>...).",
)
@click.option(
    "--iterations",
    "-n",
    type=click.IntRange(1),
    help="Monte Carlo iterations for every option (default: the first scenario's).",
)
@click.option(
    "--seed",
    type=click.IntRange(0),
    help="Random seed for every option (default: the first scenario's monte_carlo.seed).",
)
@click.option("--force", is_flag=True, help="Replace an existing comparison in the output folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
def compare(
    scenarios: tuple[Path, ...],
    out_dir: Path | None,
    iterations: int | None,
    seed: int | None,
    force: bool,
    quiet: bool,
) -> None:
    """Compare SCENARIOS (two or more .yaml files) run with the same seed.

    Common random numbers: inputs with the same name get identical draws in every option, so
    differences are paired iteration by iteration. Writes comparison.xlsx, comparison.pdf and
    comparison.json, then prints each option's headline and how often it is the best.
    """
    from fam import api
    from fam.analyses import compare as cmp
    from fam.errors import InputError
    from fam.writers import check_destination
    from fam.writers.comparison import write_comparison

    if len(scenarios) < 2:
        raise InputError("compare: give at least two scenarios to compare")
    inputs = [api.load_scenario(s) for s in scenarios]
    out = out_dir if out_dir is not None else cmp.default_out_dir_for([p.stem for p in scenarios])
    check_destination(out, force=force)  # before the runs, not after
    mc = inputs[0].scenario.monte_carlo
    n = iterations or mc.iterations
    s = mc.seed if seed is None else seed
    results = []
    for mi in inputs:
        if not quiet and sys.stderr.isatty():
            click.echo(f"running {mi.scenario_path} ({n} iterations, seed {s})", err=True)
        results.append(api.run(mi, seed=s, iterations=n))
    paths = write_comparison(results, out, force=force)
    for p in paths.values():
        click.echo(str(p))
    best = cmp.best_shares(results)
    for lab, r in zip(cmp.labels(results), results, strict=True):
        h = r.central_headline()
        npv = h["npv"]
        money = f"-£{-npv:,.0f}" if npv < 0 else f"£{npv:,.0f}"
        bcr = "n/a" if h["bcr"] is None else f"£{h['bcr']:.2f}"
        click.echo(
            f"{lab} ({r.inputs.size:,} clients): NPV {money}; {bcr} back per £1; chance of "
            f"breaking even {float((r.npv > 0).mean()):.0%}; highest NPV in {best[lab]:.0%} of "
            "iterations"
        )
    click.echo(
        f"{cmp.DO_NOTHING} (NPV £0): highest NPV in {best[cmp.DO_NOTHING]:.0%} of iterations"
    )
    click.echo(cmp.verdict(results))
    note = cmp.seed_note(results)
    if note:
        click.echo("note: " + note)
