"""The PDF briefing (skeleton: a headline page and a chart)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

if TYPE_CHECKING:
    from fam.api import Results

A4 = (8.27, 11.69)


def gbp(x: float | None) -> str:
    if x is None or x != x:
        return "n/a"
    sign = "-" if x < 0 else ""
    return f"{sign}£{abs(x):,.0f}"


def headline_text(results: Results) -> list[str]:
    s = results.summary()
    c, mc = s["central"], s["monte_carlo"]
    years = results.inputs.scenario.horizon_years
    pay = c["payback_years"]
    pays = (
        f"pays back in year {pay:.0f}"
        if pay is not None
        else "does not pay back within the horizon"
    )
    bcr = c["bcr"]
    lines = [
        f"£{bcr:.2f} back for every £1 invested over {years} years;" if bcr is not None else "",
        f"a {mc['prob_npv_positive']:.0%} chance of breaking even; {pays}.",
    ]
    return lines


def write_briefing(results: Results, path: Path) -> None:
    s = results.summary()
    with PdfPages(
        path, metadata={"Title": results.name, "Creator": f"fam {s['fam_version']}"}
    ) as pdf:
        fig = plt.figure(figsize=A4)
        fig.text(0.08, 0.93, results.name, fontsize=16, weight="bold")
        for i, line in enumerate(headline_text(results)):
            fig.text(0.08, 0.87 - 0.03 * i, line, fontsize=12)
        c, mc = s["central"], s["monte_carlo"]
        rows = [
            ("Costs (PV)", gbp(c["costs"])),
            ("Benefits (PV)", gbp(c["benefits"])),
            ("Net present value", gbp(c["npv"])),
            ("NPV 90% interval", f"{gbp(mc['npv']['p5'])} to {gbp(mc['npv']['p95'])}"),
        ]
        for i, (k, v) in enumerate(rows):
            fig.text(0.08, 0.75 - 0.03 * i, k, fontsize=11)
            fig.text(0.5, 0.75 - 0.03 * i, v, fontsize=11)
        pdf.savefig(fig)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=A4[::-1])
        cum = np.cumsum(results.draws.net_by_year, axis=1)
        years = np.arange(1, cum.shape[1] + 1)
        for lo, hi, alpha in ((5, 95, 0.25), (25, 75, 0.5)):
            ax.fill_between(
                years,
                np.percentile(cum, lo, axis=0),
                np.percentile(cum, hi, axis=0),
                color="0.3",
                alpha=alpha,
                label=f"{hi - lo}% band",
            )
        ax.plot(years, np.median(cum, axis=0), color="black", label="median")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("Appraisal year")
        ax.set_ylabel("Cumulative discounted net position (£)")
        ax.set_title("Figure 1. Cumulative discounted net position by year")
        ax.legend()
        pdf.savefig(fig)
        plt.close(fig)
