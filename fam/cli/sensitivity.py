"""`fam sensitivity SCENARIO`: which uncertainty matters to the decision."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="sensitivity")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--iterations", "-n", type=click.IntRange(1), help="Monte Carlo iterations.")
@click.option("--seed", type=click.IntRange(0), help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (default: reports/<scenario>/sensitivity).",
)
@click.option("--force", is_flag=True, help="Replace an existing sensitivity folder.")
def sensitivity(
    scenario: Path, iterations: int | None, seed: int | None, out_dir: Path | None, force: bool
) -> None:
    """One-way sensitivity (tornado), switching values, the break-even curve and the value of
    information for SCENARIO; writes CSV tables, including a long-format export of draws and
    outcomes for BCEA, dampack or voi users, and prints the main findings."""
    from fam import api
    from fam.analyses import sensitivity as sens
    from fam.analyses import voi
    from fam.writers import check_destination, default_out_dir
    from fam.writers.sensitivity_tables import write_tables

    res = api.run(scenario, seed=seed, iterations=iterations)
    dest = out_dir or default_out_dir(res) / "sensitivity"
    check_destination(dest, force=force)
    tables = {
        "tornado.csv": sens.tornado(res),
        "switching_values.csv": sens.switching_values(res),
        "break_even_curve.csv": sens.acceptability(res),
    }
    vi = sens.value_of_information(res, sens.default_groups(res))
    tables["value_of_information.csv"] = vi
    it = res.iterations_frame()
    outcomes = it[["iteration", "costs", f"benefits_{res.inputs.scenario.perspective}", "npv"]]
    outcomes = outcomes.rename(columns={f"benefits_{res.inputs.scenario.perspective}": "benefits"})
    params = it.drop(
        columns=[c for c in it.columns if c.startswith("benefits_")] + ["costs", "npv", "bcr"]
    )
    tables["psa_long.csv"] = voi.long_format(params, outcomes)
    tables["psa_parameters.csv"] = voi.psa_parameters(params)
    for path in write_tables(tables, dest, force=force).values():
        click.echo(str(path))
    top = tables["tornado.csv"].head(5)
    click.echo("Inputs that move NPV most (10th to 90th percentile, rest central):")

    def gbp(x: float) -> str:
        return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"

    for r in top.itertuples():
        click.echo(f"  {r.label}: NPV {gbp(r.npv_low)} to {gbp(r.npv_high)} (swing {gbp(r.swing)})")
    click.echo(
        f"Expected value of perfect information: £{vi.attrs['evpi_per_client']:,.0f} per client, "
        f"£{vi.attrs['evpi_population']:,.0f} for the cohort of {res.inputs.size}"
    )
