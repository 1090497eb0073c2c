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
    assert "Do nothing" in data["best"]["share_best_npv"]  # doing nothing is ranked too
    assert [o["clients"] for o in data["options"]] == [150, 100]
    assert data["verdict"] in r.stdout
    # wraparound.yaml names seed 2006, not 3: the page and the CLI say why its figures differ
    assert "2006" in data["seed_note"] and "note: " in r.stdout
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
    shares = compare.best_shares([a, b], do_nothing=False)
    assert shares.tolist() == [0.5, 0.5]  # every iteration a tie, shared equally
    # with doing nothing: a tie between the two where NPV > 0, doing nothing where NPV < 0
    shares = compare.best_shares([a, b])
    pos = float(np.mean(a.npv > 0))
    assert shares.tolist() == pytest.approx([pos / 2, pos / 2, 1 - pos])
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
    shares = compare.best_shares([a, b], do_nothing=False)
    assert shares.sum() == pytest.approx(1.0)
    manual = np.mean(b.npv > a.npv) + 0.5 * np.mean(b.npv == a.npv)
    assert shares.iloc[1] == pytest.approx(manual)
    # doing nothing is best where both options lose money
    shares = compare.best_shares([a, b])
    assert shares[compare.DO_NOTHING] == pytest.approx(np.mean((a.npv < 0) & (b.npv < 0)))
    assert shares.sum() == pytest.approx(1.0)
    d = compare.differences([a, b])
    npv = d[d["measure"] == "npv"].iloc[0]
    assert npv["mean"] == pytest.approx(float(np.mean(b.npv - a.npv)))
    assert npv["p5"] == pytest.approx(float(np.percentile(b.npv - a.npv, 5)))


def test_incomparable_runs_are_refused():
    a = api.run(MST, iterations=20, seed=1)
    b = api.run(WRAP, iterations=30, seed=1)
    with pytest.raises(InputError, match="same seed and number of iterations"):
        compare.differences([a, b])


def test_verdict_says_when_no_option_pays_back():
    """Both example options lose money in the central case: doing nothing is best, and the
    verdict says so, with £ back per £1 and, the cohorts differing, per-client NPV."""
    a = api.run(MST, iterations=200, seed=4)
    b = api.run(WRAP, iterations=200, seed=4)
    npv = [a.central.npv, b.central.npv]
    assert max(npv) < 0  # the premise: neither pays back
    text = compare.verdict([a, b])
    assert text.startswith("Neither option pays back in the central case")
    share = float(np.mean((a.npv <= 0) & (b.npv <= 0)))
    assert (
        f"doing nothing has the highest net present value in the central case, and in {share:.0%}"
        in text
    )
    best_bcr = max((a.central_headline()["bcr"], a.name), (b.central_headline()["bcr"], b.name))
    assert f"Per £1 spent, {best_bcr[1]} returns the most" in text
    per_client = a.central.npv / a.inputs.size
    assert f"{a.inputs.size:,} clients, NPV -£{-per_client:,.0f} per client" in text
    assert compare.summary([a, b])["best"]["by_central_npv"] == compare.DO_NOTHING


def test_same_seed_same_draws_as_the_single_run():
    """An option run in a comparison with its own seed has exactly its single run's draws."""
    single = api.run(MST, iterations=50)  # the scenario's own seed
    other = api.run(WRAP, iterations=50, seed=single.seed)
    assert compare.seed_note([single, other]) is not None  # wraparound.yaml names another seed
    again = api.run(MST, iterations=50, seed=single.seed)
    assert np.array_equal(single.npv, again.npv)
    assert compare.seed_note([single, again]) is None
