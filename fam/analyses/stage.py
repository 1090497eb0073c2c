"""The analysis stage, between the engine and the writers: it runs the Monte Carlo with the
analyses that need the same draws (the social impact bond's payments, chunk by chunk inside
the main pass), then the update from observed follow-up (a second pass of the cohort with the
re-weighted draws) and the sensitivity analyses, all on the parameters drawn once, through
the same mapper (worker pool or Dask) and progress callback. It returns `Results`, which holds
everything the writers need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from fam.analyses.results import Results
from fam.analyses.sensitivity import report
from fam.analyses.sib import sib_pass, sib_results
from fam.analyses.update import update
from fam.engine import Run, central, draw_params, make_plan, simulate_with
from fam.inputs.loading import ModelInputs

Mapper = Callable[..., Iterable[dict[str, np.ndarray]]]


def passes(mi: ModelInputs, iterations: int) -> int:
    """Monte Carlo passes over the cohort `run_all` makes (for a progress bar's total):
    iterations x this."""
    del iterations
    return 2 if mi.scenario.update.apply else 1


def run_all(
    mi: ModelInputs,
    seed: int,
    iterations: int,
    *,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    mapper: Mapper | None = None,
) -> Results:
    """The central case, the Monte Carlo and every analysis the scenario asks for."""
    plan = make_plan(mi)
    c = central(plan)
    p, draws = draw_params(mi, seed, iterations)
    sb = sib_pass(plan, seed, iterations) if mi.scenario.sib is not None else None
    d = simulate_with(plan, p, draws, seed, chunk_size, progress, mapper, extra=sb)
    run = Run(mi, plan, c, p, d, seed, iterations)
    return Results(
        **{f: getattr(run, f) for f in run.__dataclass_fields__},
        sib=None if sb is None else sib_results(run, sb),
        update=(update(run, mapper, progress, chunk_size) if mi.scenario.update.apply else None),
        sensitivity=report(run),
    )
