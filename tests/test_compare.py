"""fam compare: side-by-side results with common random numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from fam import api
from fam.analyses import compare
from fam.errors import InputError
from tests.util import ROOT

MST = ROOT / "scenarios" / "mst.yaml"
WRAP = ROOT / "scenarios" / "wraparound.yaml"

# `fam compare` as a user runs it; registers the command if the CLI does not yet.
_MAIN = (
    "import sys\n"
    "from fam.cli import cli\n"
    "from fam.cli.compare import compare\n"
    "if 'compare' not in cli.commands:\n"
    "    cli.add_command(compare)\n"
    "cli(prog_name='fam')\n"
)


def run_compare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _MAIN, "compare", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_compare_cli_writes_its_files(tmp_path):
    out = tmp_path / "cmp"
    r = run_compare(str(MST), str(WRAP), "-n", "50", "--seed", "3", "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*compare.FILES, ".fam-report"])
    data = json.loads((out / "comparison.json").read_text())
    assert data["seed"] == 3 and data["iterations"] == 50
    assert [o["scenario"] for o in data["options"]] == [
        "Multisystemic Therapy (MST)",
        "Wraparound for young people",
    ]
    assert sum(data["best"]["share_best_npv"].values()) == pytest.approx(1.0)
    assert "highest NPV in" in r.stdout
    # refuses to overwrite without --force; one-line error, exit 2
    again = run_compare(str(MST), str(WRAP), "-n", "100", "--out", str(out), "-q")
    assert again.returncode == 2
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    assert (out / "comparison.json").read_text() == json.dumps(data, indent=2) + "\n"


def test_compare_needs_two_scenarios(tmp_path):
    r = run_compare(str(MST), "--out", str(tmp_path / "x"))
    assert r.returncode == 2
    assert "at least two" in r.stderr


def test_scenario_against_itself_differs_by_exactly_zero():
    a = api.run(MST, iterations=60, seed=5)
    b = api.run(MST, iterations=60, seed=5)
    d = compare.differences([a, b])
    for m in ("costs", "benefits", "npv"):
        row = d[d["measure"] == m].iloc[0]
        assert row["mean"] == 0.0 and row["p5"] == 0.0 and row["p95"] == 0.0
        assert row["central"] == 0.0
    assert np.array_equal(a.npv - b.npv, np.zeros(60))
    shares = compare.best_shares([a, b])
    assert shares.tolist() == [0.5, 0.5]  # every iteration a tie, shared equally
    assert compare.labels([a, b]) == [
        "Multisystemic Therapy (MST) [1]",
        "Multisystemic Therapy (MST) [2]",
    ]


def test_common_random_numbers_pair_shared_inputs():
    """Inputs with the same name get identical draws, so differences are paired."""
    a = api.run(MST, iterations=80, seed=9)
    b = api.run(WRAP, iterations=80, seed=9)
    shared = set(a.draws.params) & set(b.draws.params)
    assert "counterfactual.trend" in shared
    for name in shared:
        if name.startswith("unit_cost.") or name == "counterfactual.trend":
            # same distribution in both -> identical draws; different distribution -> same
            # uniforms (same rank order)
            ra = np.argsort(np.argsort(a.draws.params[name]))
            rb = np.argsort(np.argsort(b.draws.params[name]))
            assert np.array_equal(ra, rb), name
    shares = compare.best_shares([a, b])
    assert shares.sum() == pytest.approx(1.0)
    manual = np.mean(b.npv > a.npv) + 0.5 * np.mean(b.npv == a.npv)
    assert shares.iloc[1] == pytest.approx(manual)
    d = compare.differences([a, b])
    npv = d[d["measure"] == "npv"].iloc[0]
    assert npv["mean"] == pytest.approx(float(np.mean(b.npv - a.npv)))
    assert npv["p5"] == pytest.approx(float(np.percentile(b.npv - a.npv, 5)))


def test_incomparable_runs_are_refused():
    a = api.run(MST, iterations=20, seed=1)
    b = api.run(WRAP, iterations=30, seed=1)
    with pytest.raises(InputError, match="same seed and number of iterations"):
        compare.differences([a, b])
