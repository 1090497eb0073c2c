"""The PDF briefing: every page renders, and the numbers printed are those of summary.json."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fam import api
from fam.writers.briefing import headline_text, write_briefing
from fam.writers.briefing_compare import write_comparison_briefing
from fam.writers.briefing_style import money, pct, per_pound
from fam.writers.tables import write_summary

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fixtures" / "hand" / "scenario.yaml"
ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
DAY = dt.date(2025, 1, 31)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="needs poppler (pdftoppm, pdftotext)",
)


def render_pages(pdf: Path, out: Path) -> int:
    """Render every page at 50 dpi; return how many images pdftoppm wrote."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(out / "p")], check=True)
    return len(list(out.glob("p-*.png")))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def hand() -> api.Results:
    return api.run(HAND)


@pytest.fixture(scope="module")
def essex() -> api.Results:
    return api.run(ESSEX, iterations=300)


def _write(results: api.Results, tmp: Path) -> tuple[int, dict, str]:
    pages = write_briefing(results, tmp / "b.pdf", run_date=DAY)
    write_summary(results, tmp / "summary.json")
    summary = json.loads((tmp / "summary.json").read_text(encoding="utf-8"))
    return pages, summary, pdf_text(tmp / "b.pdf")


def _check_numbers(summary: dict, text: str, results: api.Results) -> None:
    c, mc = summary["central"], summary["monte_carlo"]
    body = flat(text)
    assert money(c["npv"]) in body
    assert money(c["costs"]) in body
    assert money(c["benefits"]) in body
    assert f"£{c['bcr']:.2f} back for every £1" in body
    assert f"A {pct(mc['prob_npv_positive'])} chance of breaking even" in body
    assert f"{money(mc['npv']['p5'])} to {money(mc['npv']['p95'])}" in body
    assert f"{per_pound(mc['bcr']['p5'])} to {per_pound(mc['bcr']['p95'])}" in body
    assert summary["scenario"] in body
    assert f"seed {summary['seed']}" in body
    assert f"{summary['iterations']:,} Monte Carlo iterations" in body
    for h in summary["inputs_sha256"].values():
        assert h[:12] in body
    assert "2025-01-31" in body
    assert results.inputs.counterfactual_method in body


@needs_poppler
def test_hand_briefing_pages_and_numbers(hand: api.Results, tmp_path: Path) -> None:
    pages, summary, text = _write(hand, tmp_path)
    assert render_pages(tmp_path / "b.pdf", tmp_path / "png") == pages
    _check_numbers(summary, text, hand)
    body = flat(text)
    assert "Strength of the evidence: Not stated" in body  # programme: custom
    assert "pays back in year 2" in body
    assert "every simulation gives the same result" in body
    assert f"Page {pages} of {pages}" in body
    for n in (1, 2, 3):
        assert f"Figure {n}." in body
    # deterministic apart from the run date
    write_briefing(hand, tmp_path / "again.pdf", run_date=DAY)
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@needs_poppler
def test_essex_briefing_pages_and_numbers(essex: api.Results, tmp_path: Path) -> None:
    pages, summary, text = _write(essex, tmp_path)
    assert render_pages(tmp_path / "b.pdf", tmp_path / "png") == pages
    _check_numbers(summary, text, essex)
    body = flat(text)
    assert "Strength of the evidence: Strong" in body
    # who invests, who saves: the funder, the bond's investors and every saving agency, with
    # the programme's cost split between them
    assert "Who invests, who saves" in body
    assert "paid by commissioner (100%)" in body
    for agency in ("commissioner", "investors"):
        assert agency in summary["by_agency"]
    costs = sum(a["programme_cost"] for a in summary["by_agency"].values())
    assert costs == pytest.approx(summary["central"]["costs"], rel=1e-12)
    if summary["central"]["payback_years"] is None:
        years = essex.inputs.scenario.horizon_years
        assert f"does not pay back within the {years} years" in body
    for agency in summary["by_agency"]:
        assert agency in body
    assert "What matters most" in body
    if getattr(essex, "sib", None) is not None:
        assert "Social impact bond: key figures" in body
    # every unit cost used is listed, uprated to the price base year
    for r in essex.inputs.cost_rows.itertuples():
        assert f"£{r.cost_uprated:,.0f}" in body


@needs_poppler
def test_without_a_sensitivity_report_the_tornado_is_skipped(
    essex: api.Results, tmp_path: Path
) -> None:
    from fam.writers.briefing_sensitivity import HEADING as SENSITIVITY_HEADING

    # Essex has a tornado (the hand scenario has none, so its briefing never shows one)
    tornado = "What matters most"
    with_module = write_briefing(essex, tmp_path / "with.pdf", run_date=DAY)
    body = flat(pdf_text(tmp_path / "with.pdf"))
    assert tornado in body and SENSITIVITY_HEADING in body
    # results whose analysis stage computed no sensitivity report (e.g. built by hand)
    bare = dataclasses.replace(essex, sensitivity=None)
    pages = write_briefing(bare, tmp_path / "b.pdf", run_date=DAY)
    assert render_pages(tmp_path / "b.pdf", tmp_path / "png") == pages
    assert pages < with_module
    body = flat(pdf_text(tmp_path / "b.pdf"))
    assert tornado not in body and SENSITIVITY_HEADING not in body
    assert "Social impact bond: key figures" in body  # the rest of the briefing is there


@needs_poppler
def test_zero_cost_headline_and_render(tmp_path: Path) -> None:
    res = api.run(HAND, overrides={"programme_costs.per_client": 0})
    lines = headline_text(res)
    assert lines[0].startswith("No programme costs were entered")
    pages = write_briefing(res, tmp_path / "b.pdf", run_date=DAY)
    assert render_pages(tmp_path / "b.pdf", tmp_path / "png") == pages
    body = flat(pdf_text(tmp_path / "b.pdf"))
    assert "programme costs are zero in every simulation" in body


@needs_poppler
def test_comparison_briefing_renders(hand: api.Results, tmp_path: Path) -> None:
    dearer = api.run(HAND, overrides={"name": "Dearer option", "programme_costs.per_client": 3000})
    pages = write_comparison_briefing([hand, dearer], tmp_path / "c.pdf", run_date=DAY)
    assert render_pages(tmp_path / "c.pdf", tmp_path / "png") == pages
    body = flat(pdf_text(tmp_path / "c.pdf"))
    assert "Comparing 2 options" in body
    assert "Hand-checked fixture has the highest net present value" in body
    # the dearer option costs 3 clients x £2,000 more (undiscounted year 0, no optimism bias)
    diff = dearer.central.npv - hand.central.npv
    assert money(diff, signed=True) in body
    assert "Dearer option" in body


def test_best_shares_split_ties() -> None:
    import numpy as np

    from fam.writers.briefing_compare import best_shares

    a = np.array([1.0, 2.0, 3.0, 0.0])
    b = np.array([1.0, 1.0, 4.0, 0.0])
    assert best_shares([a, b]) == [0.5, 0.5]  # tie, a, b, tie


def test_formats() -> None:
    assert money(-1_262_754.4) == "-£1.26m"
    assert money(350_000) == "£350k"
    assert money(999_600) == "£1.00m"
    assert money(12_345) == "£12.3k"
    assert money(950.2) == "£950"
    assert money(0.0) == "£0"
    assert money(2_100_000, signed=True) == "+£2.10m"
    assert money(None) == "n/a"
    assert per_pound(0.7731) == "£0.77"
    assert per_pound(-0.2) == "-£0.20"
    assert pct(0.25) == "25%"
    assert pct(0.004) == "under 1%"
    assert pct(0.997) == "over 99%"
    assert pct(1.0) == "100%"
    assert pct(-0.25, signed=True) == "-25%"
