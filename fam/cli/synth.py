"""``fam synth``: write a realistic synthetic cohort (clients.csv, service_use.csv, README.md)."""

from __future__ import annotations

import math
import shlex
from pathlib import Path

import click

from fam.inputs.synth import PROFILES, synthesise, write_cohort


def _parse_effects(values: tuple[str, ...], profile: str) -> dict[str, float]:
    """``SERVICE=CHANGE`` pairs (CHANGE a fraction such as -0.3, or a percentage -30%)."""
    services = PROFILES[profile].services
    effects: dict[str, float] = {}
    for item in values:
        service, sep, text = item.partition("=")
        service, text = service.strip(), text.strip()
        if not sep or not service or not text:
            raise click.BadParameter(
                f"expected SERVICE=CHANGE such as ae_attendance=-0.3, got {item!r}",
                param_hint="--true-effect",
            )
        if service not in services:
            raise click.BadParameter(
                f"unknown service {service!r} for {profile}; expected one of "
                + ", ".join(sorted(services)),
                param_hint="--true-effect",
            )
        try:
            change = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise click.BadParameter(
                f"CHANGE must be a number such as -0.3 or -30%, got {text!r}",
                param_hint="--true-effect",
            ) from None
        if not math.isfinite(change) or change < -1:
            raise click.BadParameter(
                f"CHANGE for {service} must be >= -1 (a fall of at most 100%), got {text!r}",
                param_hint="--true-effect",
            )
        if service in effects:
            raise click.BadParameter(f"{service} given twice", param_hint="--true-effect")
        effects[service] = change
    return effects


@click.command(name="synth")
@click.argument("profile", type=click.Choice([*sorted(PROFILES), "ssda903"]))
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Programme-arm clients.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Random seed: the same options and seed give identical files.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Directory to write clients.csv, service_use.csv and README.md into.",
)
@click.option(
    "--start", default="2013-04", show_default=True, help="First month of intake, YYYY-MM."
)
@click.option(
    "--intake-months",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Clients start uniformly at random over this many months.",
)
@click.option(
    "--history-months",
    type=click.IntRange(min=0),
    default=24,
    show_default=True,
    help="Months of service use before each client's start.",
)
@click.option(
    "--follow-up-months",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Months of service use after each client's start.",
)
@click.option(
    "--true-effect",
    "true_effect",
    multiple=True,
    metavar="SERVICE=CHANGE",
    help="Multiply post-start programme-arm rates of SERVICE by 1+CHANGE "
    "(e.g. ae_attendance=-0.3). Repeatable; needs --follow-up-months.",
)
@click.option(
    "--comparison",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also generate this many comparison-arm clients (no effect).",
)
@click.option(
    "--common-cutoff",
    is_flag=True,
    help="Follow everyone up to one data cut-off, --follow-up-months after the intake ends "
    "(a pilot part-way through delivery), instead of the same months for each client.",
)
@click.option("--force", is_flag=True, help="Write into an existing non-empty directory.")
def synth(
    profile: str,
    n: int,
    seed: int,
    out: Path,
    start: str,
    intake_months: int,
    history_months: int,
    follow_up_months: int,
    true_effect: tuple[str, ...],
    comparison: int,
    common_cutoff: bool,
    force: bool,
) -> None:
    """Write a synthetic cohort for PROFILE (young_people or adults): NOT real people.

    PROFILE ssda903 writes SYNTHETIC statutory returns instead (SSDA903 episodes and header
    by year, CIN census XML by year, referrals.csv) for `fam import`: --n programme and
    --comparison children, the comparison arm referred in the --intake-months before --start,
    data to --follow-up-months after the intake ends; --true-effect entry_to_care=CHANGE.
    """
    if profile == "ssda903":
        _synth_returns(n, seed, out, start, intake_months, follow_up_months, true_effect,
                       comparison, force)  # fmt: skip
        return
    effects = _parse_effects(true_effect, profile)
    if effects and follow_up_months == 0:
        raise click.BadParameter(
            "needs --follow-up-months > 0 (the effect changes post-start use)",
            param_hint="--true-effect",
        )
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} exists and is not a directory", param_hint="--out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise click.BadParameter(
            f"{out} is not empty; use --force to write into it", param_hint="--out"
        )
    try:
        clients, service_use = synthesise(
            profile,
            n,
            seed,
            start=start,
            intake_months=intake_months,
            history_months=history_months,
            follow_up_months=follow_up_months,
            true_effect=effects or None,
            comparison=comparison,
            cutoff=common_cutoff,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    command = [
        "fam",
        "synth",
        profile,
        "--n",
        str(n),
        "--seed",
        str(seed),
        "--start",
        start,
        "--intake-months",
        str(intake_months),
        "--history-months",
        str(history_months),
        "--follow-up-months",
        str(follow_up_months),
    ]
    for service, change in effects.items():
        command += ["--true-effect", f"{service}={change:g}"]
    if comparison:
        command += ["--comparison", str(comparison)]
    if common_cutoff:
        command += ["--common-cutoff"]
    try:
        paths = write_cohort(
            clients,
            service_use,
            out,
            profile=profile,
            n=n,
            seed=seed,
            command=shlex.join(command),
        )
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out}: {exc}") from None
    for path in paths:
        click.echo(str(path))


def _synth_returns(
    n: int,
    seed: int,
    out: Path,
    start: str,
    intake_months: int,
    follow_up_months: int,
    true_effect: tuple[str, ...],
    comparison: int,
    force: bool,
) -> None:
    import datetime as _dt

    from fam.inputs.synth_returns import _add_months, synthesise_returns, write_returns

    effect = -0.3
    for item in true_effect:
        key, _, text = item.partition("=")
        if key.strip() != "entry_to_care":
            raise click.BadParameter(
                f"ssda903 takes only entry_to_care=CHANGE, got {item!r}", param_hint="--true-effect"
            )
        try:
            effect = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise click.BadParameter(f"CHANGE must be a number, got {text!r}") from None
        if not -1 <= effect <= 1:
            raise click.BadParameter("CHANGE must be between -1 and 1", param_hint="--true-effect")
    try:
        first = _dt.date.fromisoformat(start + "-01")
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM, got {start!r}", param_hint="--start") from None
    if out.exists() and not out.is_dir():
        raise click.BadParameter(f"{out} exists and is not a directory", param_hint="--out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise click.BadParameter(
            f"{out} is not empty; use --force to write into it", param_hint="--out"
        )
    months = follow_up_months or 12
    to = _add_months(first, intake_months + months)
    children = synthesise_returns(n, comparison, seed, first, intake_months, to, effect)
    command = shlex.join(
        ["fam", "synth", "ssda903", "--n", str(n), "--comparison", str(comparison), "--seed",
         str(seed), "--start", start, "--intake-months", str(intake_months),
         "--follow-up-months", str(months), "--true-effect", f"entry_to_care={effect:g}"]
    )  # fmt: skip
    for p in write_returns(children, out, to, command):
        click.echo(str(p))
    click.echo(f"data end (for fam import --to): {to}")
