"""The MonteCarlo sheet: simulation results computed by fam (values, not formulas)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fam.writers.workbook.layout import HDR

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.layout import Run


def write_monte_carlo(bk: Book, ws: Worksheet, run: Run) -> None:
    """Simulation results computed by fam (values) and a histogram of NPV."""
    res = run.res
    ws.write(
        0, 0, "MonteCarlo: simulation results computed by fam (values, not formulas)", bk.title
    )
    ws.write(
        1,
        0,
        f"{res.iterations:,} iterations, seed {res.seed}: every uncertain input drawn once per "
        "iteration, the cohort resampled and counts with Poisson noise (as the scenario sets). "
        "Raw draws: iterations.csv.",
        bk.note,
    )
    cols = ["central", "mean", "p5", "p50", "p95", "simulations"]
    ws.write_row(HDR, 0, ["measure", *cols], bk.head)
    frame = res.summary_frame()
    years = res.inputs.scenario.horizon_years
    labels = {
        "payback_share_within_horizon": f"payback: share paying back within {years} years",
        "payback_years_if_paid_back": "payback year (simulations that pay back only)",
    }
    r = HDR + 1
    for measure, row in frame.iterrows():
        ws.write_string(r, 0, labels.get(str(measure), str(measure)), bk.bold)
        money = measure in ("costs", "benefits", "npv")
        share = measure in ("prob_npv_positive", "payback_share_within_horizon")
        fmt = bk.v_money if money else bk.v_pct if share else bk.v_ratio
        for j, col in enumerate(cols):
            v = row[col]
            if v is not None and v == v:
                ws.write_number(r, 1 + j, float(v), bk.v_int if col == "simulations" else fmt)
        r += 1
    ws.write(
        r,
        0,
        "A simulation that never pays back within the horizon has no payback year: the payback "
        "year's mean and percentiles describe only the simulations that pay back (their number "
        "is under 'simulations').",
        bk.note,
    )
    r += 1
    r += 1
    ws.write(r, 0, "P(NPV > 0): chance of breaking even", bk.bold)
    ws.write_number(r, 1, float(np.mean(res.npv > 0)), bk.v_pct)
    r += 1
    ws.write(r, 0, "iterations", bk.bold)
    ws.write_number(r, 1, res.iterations, bk.v_int)
    r += 1
    ws.write(r, 0, "seed", bk.bold)
    ws.write_number(r, 1, res.seed, bk.v_int)
    r += 2
    ws.write(r, 0, "Histogram of NPV (£)", bk.section)
    r += 1
    ws.write_row(r, 0, ["bin", "from (£)", "to (£)", "iterations", "share"], bk.head)
    r += 1
    npv = np.asarray(res.npv, dtype=float)
    npv = npv[np.isfinite(npv)]
    first = r
    if npv.size:
        lo, hi = float(npv.min()), float(npv.max())
        if hi <= lo:
            hi = lo + 1.0
        counts, edges = np.histogram(npv, bins=20, range=(lo, hi))
        for i, n in enumerate(counts):
            mid = (edges[i] + edges[i + 1]) / 2
            ws.write_string(r, 0, f"£{mid / 1000:,.0f}k", bk.v_text)
            ws.write_number(r, 1, float(edges[i]), bk.v_money)
            ws.write_number(r, 2, float(edges[i + 1]), bk.v_money)
            ws.write_number(r, 3, int(n), bk.v_int)
            ws.write_number(r, 4, float(n / npv.size), bk.v_pct)
            r += 1
        chart = bk.wb.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "iterations",
                "categories": ["MonteCarlo", first, 0, r - 1, 0],
                "values": ["MonteCarlo", first, 3, r - 1, 3],
                "gap": 10,
            }
        )
        chart.set_title({"name": "NPV across iterations (simulation results computed by fam)"})
        chart.set_x_axis({"name": "NPV, bin centre (£ thousand)"})
        chart.set_y_axis({"name": "iterations"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 360})
        ws.insert_chart(HDR, 8, chart)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 6, 16)
    ws.freeze_panes(HDR + 1, 0)


# ------------------------------------------------------------------ Sensitivity
