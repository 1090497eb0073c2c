"""The scenario library: every example runs from the CLI; published figures are reproduced."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.util import FIXTURES, ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_library_is_complete():
    names = {p.stem for p in SCENARIOS}
    assert {"mst", "wraparound", "link_worker", "essex_sib"} <= names


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str, Path]]:
    """`fam run scenarios/X.yaml -n 200 --out TMP -q` for every scenario, two at a time."""
    base = tmp_path_factory.mktemp("scenario_runs")
    out: dict[str, tuple[int, str, str, Path]] = {}
    pending = list(SCENARIOS)
    while pending:
        batch, pending = pending[:2], pending[2:]
        procs = []
        for path in batch:
            dest = base / path.stem
            cmd = [
                sys.executable,
                "-m",
                "fam",
                "run",
                str(path.relative_to(ROOT)),
                "-n",
                "200",
                "--out",
                str(dest),
                "-q",
            ]
            procs.append(
                (
                    path,
                    dest,
                    subprocess.Popen(
                        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                    ),
                )
            )
        for path, dest, proc in procs:
            so, se = proc.communicate(timeout=300)
            out[path.stem] = (proc.returncode, so, se, dest)
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs_from_cli_and_writes_four_files(path: Path, cli_runs):
    code, stdout, stderr, out = cli_runs[path.stem]
    assert code == 0, stderr
    names = {p.name for p in out.iterdir()}
    assert {f"{path.stem}.xlsx", f"{path.stem}.pdf", "summary.json", "iterations.csv"} <= names
    s = json.loads((out / "summary.json").read_text())
    assert s["iterations"] == 200
    assert "NPV" in stdout


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_parameter_is_cited_or_an_assumption(path: Path):
    """Each effect and the programme cost carry a source naming EVIDENCE or an assumption."""
    data = yaml.safe_load(path.read_text())
    sources = [e.get("source", "") for e in data.get("effects", {}).values()]
    sources += [data["programme_costs"].get("source", ""), data["counterfactual"].get("source", "")]
    for s in sources:
        low = s.lower()
        assert "evidence" in low or "assumption" in low or "(s)" in low or "(v)" in low, s


def _sd(data: dict, pattern: str) -> float:
    return float(data["effects"][pattern]["change"]["sd"])


def test_ranges_follow_evidence_quality():
    """MST narrowest, wraparound wider, link worker widest with the largest trend."""
    load = {p.stem: yaml.safe_load(p.read_text()) for p in SCENARIOS}
    mst, wrap, link = load["mst"], load["wraparound"], load["link_worker"]
    assert _sd(mst, "arrest_*") < _sd(wrap, "arrest_*") < _sd(link, "arrest_detained") + 0.01
    assert max(e["change"]["sd"] for e in mst["effects"].values()) < min(
        e["change"]["sd"] for e in link["effects"].values()
    )
    trend = {
        k: v["counterfactual"]["trend"]["mean"]
        for k, v in load.items()
        if k in ("mst", "wraparound", "link_worker")
    }
    assert trend["link_worker"] > trend["wraparound"] > trend["mst"]


def test_cary_2013_net_benefit_reproduced():
    """Cary et al 2013: net benefit £1,222 per young person over 18 months (2011-12 prices)."""
    from fam import api

    res = api.run(FIXTURES / "cary2013" / "scenario.yaml")
    c = res.central_headline()
    assert c["costs"] == pytest.approx(2285.0, abs=0.01)  # MST: 5,687 - 3,402
    assert c["benefits"] == pytest.approx(3507.0, abs=0.01)  # 2,290 crime + 1,217 YOT
    assert c["npv"] == pytest.approx(1222.0, abs=0.01)
    flows = res.cashflows().groupby("service")[["counterfactual_cost", "programme_arm_cost"]].sum()
    assert flows.loc["cary_criminal_activity"].tolist() == pytest.approx([11715.0, 9425.0])
    assert flows.loc["cary_yot_services"].tolist() == pytest.approx([4619.0, 3402.0])
    # no uncertainty in the fixture: every iteration is the central case
    assert res.summary()["monte_carlo"]["npv"]["p5"] == pytest.approx(1222.0, abs=0.01)
