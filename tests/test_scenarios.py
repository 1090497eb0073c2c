"""The scenario library: every example runs from the CLI; published figures are reproduced."""

from __future__ import annotations

import json
import re
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


# A citation: an identifier defined in docs/evidence.md (E-MST-UK-START), or an explicit
# assumption with its reason ("Assumption: why" or "Assumption (why)", three words or more).
EVIDENCE_ID = re.compile(r"\bE-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")
DEFINED_ID = re.compile(r"^\| `(E-[A-Z0-9]+(?:-[A-Z0-9]+)*)` \|", re.MULTILINE)
ASSUMPTION = re.compile(r"\bassumptions?\s*[:(]\s*(?P<reason>[^;)]*)", re.IGNORECASE)


def _all_sources(node: object, where: str = "") -> list[tuple[str, str]]:
    """Every `source` string in a scenario, with its key path."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "source":
                found.append((where or "(top)", str(v)))
            else:
                found += _all_sources(v, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _all_sources(v, f"{where}[{i}]")
    return found


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_parameter_is_cited_or_an_assumption(path: Path):
    """Each effect, the programme cost and the counterfactual carry a source, and every source
    cites docs/evidence.md items that exist or states an assumption with its reason."""
    known = set(DEFINED_ID.findall((ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")))
    data = yaml.safe_load(path.read_text())
    effects = data.get("effects", {})
    required = [f"effects.{k}" for k in effects if k != "placements"]
    # effects on placement transitions: each 'from->to' carries its own source
    required += [f"effects.placements.{k}" for k in effects.get("placements", {})]
    required += ["programme_costs", "counterfactual"]
    sources = dict(_all_sources(data))
    for key in required:
        assert sources.get(key, "").strip(), f"{path.name}: {key} has no source"
    for key, s in sources.items():
        cited = EVIDENCE_ID.findall(s)
        unknown = [i for i in cited if i not in known]
        assert not unknown, f"{path.name}: {key}: {unknown} not in docs/evidence.md"
        reasons = [m.group("reason").split() for m in ASSUMPTION.finditer(s)]
        assert cited or any(len(r) >= 3 for r in reasons), (
            f"{path.name}: {key}: source neither cites docs/evidence.md nor states an "
            f"assumption with its reason: {s!r}"
        )


def _sd(data: dict, pattern: str) -> float:
    return float(data["effects"][pattern]["change"]["sd"])


def test_ranges_follow_evidence_quality():
    """MST narrowest, wraparound wider, link worker widest with the largest trend."""
    load = {p.stem: yaml.safe_load(p.read_text()) for p in SCENARIOS}
    mst, wrap, link = load["mst"], load["wraparound"], load["link_worker"]
    assert _sd(mst, "arrest_*") < _sd(wrap, "arrest_*") < _sd(link, "arrest_detained") + 0.01
    assert max(e["change"]["sd"] for k, e in mst["effects"].items() if k != "placements") < min(
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


# The children's-services unit costs (unit_costs/uk.csv) and the docs/evidence.md items they
# rest on state the same figures and GMCA codes: id -> [(service, value type, GMCA code)].
UNIT_COST_EVIDENCE = {
    "E-UC-ENTRY-TO-CARE": [
        ("entry_to_care", "fiscal", "SS2.1"),
        ("care_proceedings_la_legal", "fiscal", "SS2.7"),
    ],
    "E-UC-CARE-PROCEEDINGS": [("care_proceedings", "fiscal", "SS4.1")],
    "E-UC-CP-ASSESSMENT": [("child_protection_assessment", "fiscal", "SS4.0")],
    "E-UC-SOCIAL-WORKER": [("social_worker_hour", "fiscal", "SS18.3")],
    "E-UC-CAMHS": [("camhs_case", "fiscal", "HE12.3"), ("camhs_session", "fiscal", "HE12.6")],
    "E-UC-EXCLUSION": [("alternative_provision_year", "fiscal", "E&S2.0.1")],
    "E-UC-NEET": [
        ("neet_year_18_24", "transfer", "E&E10.0"),
        ("neet_year_18_24", "economic", "E&E10.0"),
        ("neet_year_16_17", "transfer", "E&E10.1"),
        ("neet_year_16_17", "economic", "E&E10.1"),
    ],
}


def test_childrens_unit_costs_agree_with_evidence():
    from fam.inputs.unit_costs import DEFAULT_UNIT_COSTS, load_unit_costs

    text = (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(E-[A-Z0-9-]+)` \|.*$", text, re.M)}
    table = load_unit_costs([DEFAULT_UNIT_COSTS]).set_index(["service", "value_type"])
    for eid, uses in UNIT_COST_EVIDENCE.items():
        assert eid in rows, f"{eid} not defined in docs/evidence.md"
        for service, vt, code in uses:
            row = table.loc[(service, vt)]
            cells = rows[eid].split(" | ")
            assert f"{row['cost']:,.0f}" in cells[1], (eid, service, vt)
            assert row["price_year"] in cells[3], (eid, service)
            assert f"GMCA {code}" in rows[eid] or f" {code} " in rows[eid] + " ", (eid, code)
            assert f"code {code} " in row["source"], (service, code)
