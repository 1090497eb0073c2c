"""Updating effects with the programme's own follow-up (issue 11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fam import api
from fam.analyses.update import evidence, log_weights, resample
from fam.engine import draw_params
from fam.inputs.synth import synthesise, write_cohort
from tests.util import ROOT

ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
PILOT = ROOT / "scenarios" / "link_worker_pilot.yaml"

SCENARIO = """
name: Update check
price_base_year: 2024-25
start: 2023-04
horizon_years: 3
unit_costs: [{uk}]
cohort:
  clients: clients.csv
  service_use: service_use.csv
  baseline_months: 12
  intake: {{months: 6}}
  observed_to: {cutoff}
counterfactual: {{trend: 0, ramp_months: 0}}
effects:
  ae_attendance: {{change: {{dist: normal, mean: -0.1, sd: 0.3}}}}
engagement: {{completion: 1, duration_months: 6}}
optimism_bias: {{apply: false}}
update: {{apply: true}}
monte_carlo: {{iterations: 3000, seed: {seed}, bootstrap: false, poisson: false}}
"""


def _posterior_interval(tmp: Path, seed: int, follow_up: int, truth: float = -0.3):
    clients, use = synthesise(
        "adults",
        200,
        seed,
        start="2023-04",
        intake_months=6,
        history_months=24,
        follow_up_months=follow_up,
        true_effect={"ae_attendance": truth},
        cutoff=True,
    )
    d = tmp / f"s{seed}_{follow_up}"
    write_cohort(clients, use, d, profile="adults", n=200, seed=seed)
    # cut-off: the day before follow_up months after the 6-month intake ends (2023-10-01)
    month = 10 + follow_up
    y, m = 2023 + (month - 1) // 12, (month - 1) % 12 + 1
    cutoff = str(np.datetime64(f"{y:04d}-{m:02d}-01") - np.timedelta64(1, "D"))
    (d / "scenario.yaml").write_text(
        SCENARIO.format(uk=ROOT / "unit_costs" / "uk.csv", cutoff=cutoff, seed=seed)
    )
    mi = api.load_scenario(d / "scenario.yaml")
    p, draws = draw_params(mi, seed, 3000)
    ev = evidence(mi)
    lw = log_weights(ev, p, mi)
    w = np.exp(lw - lw.max())
    post = draws["effects.ae_attendance.change"][resample(w, seed)]
    return np.percentile(post, [5, 95])


@pytest.mark.slow
def test_updated_interval_covers_the_truth_in_85_of_100_seeds(tmp_path):
    hits = 0
    for seed in range(100):
        lo, hi = _posterior_interval(tmp_path, seed, 6)
        hits += lo <= -0.3 <= hi
    assert hits >= 85, hits


def test_interval_narrows_as_follow_up_grows(tmp_path):
    widths = {f: [] for f in (3, 18)}
    for seed in range(5):
        for f in widths:
            lo, hi = _posterior_interval(tmp_path, seed, f)
            widths[f].append(hi - lo)
    assert np.mean(widths[18]) < 0.8 * np.mean(widths[3])


def test_no_follow_up_gives_prior_results_exactly():
    # the link-worker scenario (own-baseline trend only; the update is refused with
    # placements), with the data said to end before any client starts
    res = api.run(
        ROOT / "scenarios" / "link_worker.yaml",
        iterations=200,
        overrides={"update": {"apply": True}, "cohort.observed_to": "2024-03-31"},
    )
    up = res.update
    assert up.evidence == []
    assert np.array_equal(up.posterior.npv, res.npv)
    s = up.summary(res.plan)
    assert s["prior"] == s["updated"]


def test_pilot_scenario_reports_prior_and_updated(tmp_path):
    res = api.run(PILOT, iterations=1500)
    s = res.update.summary(res.plan)
    names = [e["input"] for e in s["effects"]]
    assert "effects.ae_attendance.change" in names
    ae = s["effects"][names.index("effects.ae_attendance.change")]
    assert ae["interval_narrowing"] > 0.3
    assert ae["updated"]["p5"] < -0.3 < ae["updated"]["p95"] + 0.1
    o = s["observed_to_date"]
    assert o["clients"] == 150
    assert o["savings"] == pytest.approx(o["counterfactual_cost"] - o["observed_cost"])
    paths = api.write_reports(res, tmp_path / "out")
    assert paths["update"].exists()
    # the headline is the updated forecast, with the prior beside it
    import json

    summary = json.loads(paths["summary"].read_text())
    h, prior = summary["headline"], summary["prior"]
    assert summary["headline_basis"] == h["basis"] == "updated"
    assert h["prob_npv_positive"] == pytest.approx(s["updated"]["prob_npv_positive"])
    assert h["npv"] == pytest.approx(s["updated"]["npv"]["mean"])
    assert h["npv"] == pytest.approx(h["benefits"] - h["costs"])
    assert h["bcr"] == pytest.approx(h["benefits"] / h["costs"])  # mean savings / mean costs
    assert prior["basis"] == "scenario"
    assert prior["npv"] == pytest.approx(summary["central"]["npv"])
    assert prior["prob_npv_positive"] == summary["monte_carlo"]["prob_npv_positive"]


def test_without_observed_follow_up_the_headline_is_the_scenario():
    res = api.run(ROOT / "tests" / "fixtures" / "hand" / "scenario.yaml", iterations=50)
    s = res.summary()
    assert s["headline_basis"] == "scenario" and "prior" not in s
    assert s["synthetic_data"] is False  # the hand fixture's files carry no synthetic marker
    assert s["headline"]["npv"] == s["central"]["npv"]
    assert s["headline"]["npv_p5"] == s["monte_carlo"]["npv"]["p5"]


def test_briefing_shows_prior_and_updated_side_by_side(tmp_path):
    import json
    import subprocess

    res = api.run(PILOT, iterations=800)
    paths = api.write_reports(res, tmp_path / "out")
    up = json.loads(paths["update"].read_text())
    text = subprocess.run(
        ["pdftotext", "-layout", str(paths["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())
    assert "Updated with the programme's own follow-up, which moved the expected net" in text
    assert "Before the data" in text
    assert "Before and after the update" in text
    assert f"{up['updated']['prob_npv_positive']:.0%}" in text
    assert f"{up['prior']['prob_npv_positive']:.0%}" in text
    # the tornado analyses the scenario as written, and its caption says so
    assert "The scenario as written, before the programme's own follow-up updated it: the" in text


def test_update_with_ageing_out():
    """until_age on an own-baseline service: the evidence counts only the observed months
    before each client's age limit. A limit no client reaches changes nothing; a limit of 0
    (every client already past it) leaves no expected use for the service."""
    pilot = ROOT / "scenarios" / "link_worker_pilot.yaml"
    mi = api.load_scenario(pilot)
    svc = next(e.service for e in mi.effects if e.change is not None)
    base = evidence(mi)
    far = evidence(api.load_scenario(pilot, **{f"counterfactual.services.{svc}.until_age": 120}))
    assert [(e.a0, e.a1, e.p0, e.p1) for e in far] == [(e.a0, e.a1, e.p0, e.p1) for e in base]
    gone = evidence(api.load_scenario(pilot, **{f"counterfactual.services.{svc}.until_age": 0}))
    name = next(e.change.name for e in mi.effects if e.service == svc)
    before = next(e for e in base if e.name == name)
    after = next(e for e in gone if e.name == name)
    assert svc in before.services
    # the service's own sums drop out of its group's sums (other services may share the input)
    assert after.a0 < before.a0 and after.p0 < before.p0
