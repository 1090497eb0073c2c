"""The Python API for analysts: load a scenario, run it, get DataFrames, write reports.

    >>> import fam
    >>> res = fam.run("scenarios/essex_sib.yaml", iterations=2000)
    >>> res.summary()["central"]["npv"]
    >>> res.cashflows()          # central case by year, agency and value type
    >>> res.ledger_frame()       # who invests, who saves: each agency's cost, savings, net
    >>> res.iterations()         # one row per Monte Carlo iteration
    >>> fam.write_reports(res)   # reports/essex_sib/...

The CLI is a thin layer over these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fam.analyses.results import Results
from fam.analyses.stage import run_all
from fam.inputs.loading import ModelInputs, load
from fam.writers import write_all

__all__ = ["Results", "load_scenario", "run", "write_reports"]


def load_scenario(path: str | Path, **overrides: Any) -> ModelInputs:
    """Read and validate a scenario and all its inputs.

    Overrides use dotted keys with underscores for dots avoided, e.g.
    ``load_scenario(p, **{"monte_carlo.seed": 7})``.
    """
    return load(path, overrides or None)


def run(
    scenario: str | Path | ModelInputs,
    *,
    seed: int | None = None,
    iterations: int | None = None,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    mapper: Callable[..., Iterable[dict[str, np.ndarray]]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Results:
    """Run a scenario: the central case, the Monte Carlo and the analyses it asks for (social
    impact bond, update, sensitivity)."""
    mi = scenario if isinstance(scenario, ModelInputs) else load(scenario, overrides)
    mc = mi.scenario.monte_carlo
    seed = mc.seed if seed is None else seed
    n = mc.iterations if iterations is None else iterations
    return run_all(mi, seed, n, chunk_size=chunk_size, progress=progress, mapper=mapper)


def write_reports(
    results: Results,
    out_dir: str | Path | None = None,
    *,
    force: bool = False,
    client_detail_salt: bytes | None = None,
) -> dict[str, Path]:
    """Write the workbook, the briefing, summary.json and iterations.csv; return their paths.

    With `client_detail_salt`, the workbook gets a ClientDetail sheet of pseudonymised
    clients (salted hashes; never client identifiers).
    """
    return write_all(results, out_dir, force=force, client_detail_salt=client_detail_salt)
