"""The CLI as a user meets it: a subprocess."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.util import FIXTURES, run_cli


def test_help_documents_every_option():
    top = run_cli("--help")
    assert top.returncode == 0
    for cmd in ("run", "unit-costs", "synth"):
        assert cmd in top.stdout
    r = run_cli("run", "--help")
    assert r.returncode == 0
    for opt in ("--iterations", "--seed", "--out", "--force", "--chunk-size", "--quiet"):
        assert opt in r.stdout


def test_run_writes_four_files_and_prints_headline(tmp_path):
    src = FIXTURES / "hand"
    work = tmp_path / "hand"
    shutil.copytree(src, work)
    out = tmp_path / "out"
    r = run_cli("run", str(work / "scenario.yaml"), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    # the four files, and the marker that says fam wrote the folder (--force replaces only such)
    assert names == [
        ".fam-report",
        "iterations.csv",
        "scenario.pdf",
        "scenario.xlsx",
        "summary.json",
    ]
    for p in out.iterdir():
        assert str(p) in r.stdout or p.name == ".fam-report"
    assert "NPV £1,994" in r.stdout
    assert "£1.66 back per £1" in r.stdout
    assert "chance of breaking even 100%" in r.stdout
    s = json.loads((out / "summary.json").read_text())
    assert set(s) == {
        "scenario",
        "fam_version",
        "seed",
        "iterations",
        "price_base_year",
        "perspective",
        "inputs_sha256",
        "central",
        "monte_carlo",
        "by_agency",
        "synthetic_data",
        "headline_basis",
        "headline",
    }
    assert s["headline_basis"] == "scenario" and s["synthetic_data"] is False
    assert set(s["central"]) == {"costs", "benefits", "npv", "bcr", "roi", "payback_years"}
    assert set(s["monte_carlo"]) == {"npv", "bcr", "prob_npv_positive", "payback"}
    assert set(s["monte_carlo"]["npv"]) == {"mean", "p5", "p50", "p95"}
    assert s["perspective"] == "fiscal"
    # the agency ledger: costs add up to the programme's, nets to the NPV
    ag = s["by_agency"]
    assert list(ag) == ["commissioner", "Local authority", "NHS"]
    assert sum(a["programme_cost"] for a in ag.values()) == pytest.approx(s["central"]["costs"])
    assert sum(a["net"] for a in ag.values()) == pytest.approx(s["central"]["npv"])

    again = run_cli("run", str(work / "scenario.yaml"), "--out", str(out), "--quiet")
    assert again.returncode == 2
    assert "--force" in again.stderr
    assert "Traceback" not in again.stderr
    forced = run_cli("run", str(work / "scenario.yaml"), "--out", str(out), "-q", "--force")
    assert forced.returncode == 0, forced.stderr


def test_missing_scenario_is_one_line_exit_2(tmp_path):
    r = run_cli("run", str(tmp_path / "nope.yaml"))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "nope.yaml" in r.stderr and "not found" in r.stderr


def test_workers_option_gives_identical_summary(tmp_path):
    src = FIXTURES / "hand"
    work = tmp_path / "hand"
    shutil.copytree(src, work)
    text = (
        (work / "scenario.yaml")
        .read_text()
        .replace("bootstrap: false, poisson: false", "bootstrap: true, poisson: true")
    )
    (work / "scenario.yaml").write_text(text)
    outs = []
    for k, extra in enumerate(([], ["--workers", "2"])):
        out = tmp_path / f"o{k}"
        r = run_cli("run", str(work / "scenario.yaml"), "--out", str(out), "-q", *extra)
        assert r.returncode == 0, r.stderr
        outs.append(out)
    assert (outs[0] / "summary.json").read_text() == (outs[1] / "summary.json").read_text()
    assert (outs[0] / "iterations.csv").read_text() == (outs[1] / "iterations.csv").read_text()
