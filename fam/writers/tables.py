"""summary.json and iterations.csv."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fam.analyses.results import Results


def write_summary(results: Results, path: Path) -> None:
    path.write_text(json.dumps(results.summary(), indent=2) + "\n", encoding="utf-8")


def write_iterations(results: Results, path: Path) -> None:
    results.iterations_frame().to_csv(path, index=False, float_format="%.10g")


def write_update(results: Results, path: Path) -> None:
    """update.json: prior and updated results side by side (only with update.apply)."""
    up = results.update
    assert up is not None, "written only when the scenario asks for an update"
    path.write_text(json.dumps(up.summary(results.plan), indent=2) + "\n", encoding="utf-8")


def write_sib(results: Results, path: Path) -> None:
    """sib.json: the social impact bond's payments and returns (only with a `sib` block)."""
    assert results.sib is not None, "written only for a scenario with a `sib` block"
    path.write_text(json.dumps(results.sib.summary(), indent=2) + "\n", encoding="utf-8")
