"""The briefing's update section: prior and updated results side by side, drawn only when
the scenario updates its effects with the programme's own follow-up (`update.apply`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from fam.writers.briefing_style import (
    BLUE,
    INK,
    MONEY_AXIS,
    VERMILLION,
    Column,
    Doc,
    money,
    pct,
    per_pound,
    style_axes,
)

if TYPE_CHECKING:
    from fam.analyses.results import Results


def _interval(d: Mapping[str, Any], f: Any) -> str:
    lo, hi = d.get("p5"), d.get("p95")
    return "n/a" if lo is None or hi is None else f"{f(lo)} to {f(hi)}"


def _change(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.0%}".replace("-", "−")


def _ratio_of_means(block: Mapping[str, Any]) -> float | None:
    """Mean savings / mean costs of an update.json block (the headline's £ back per £1)."""
    b, c = block["benefits"]["mean"], block["costs"]["mean"]
    return b / c if b is not None and c else None


def update_section(doc: Doc, results: Results, names: Mapping[str, str]) -> bool:
    """Draw the update page(s); return False (drawing nothing) without `update.apply`."""
    up = getattr(results, "update", None)
    if up is None:
        return False
    s = up.summary(results.plan)
    sc = results.inputs.scenario
    pby = sc.price_base_year
    doc.new_page()
    doc.heading("Updated with the programme's own data", size=13)
    effects = s["effects"]
    if not effects:
        doc.text(
            f"No client has follow-up after their start up to the data cut-off "
            f"({sc.cohort.observed_to}), so the forecast rests on the published evidence alone "
            "and the updated results equal the results above.",
            size=9.5,
        )
        return True
    months = effects[0]["client_months"]
    clients = effects[0]["clients"]
    doc.text(
        f"The data record {clients:,} clients' use of services for {months:,.0f} client-months "
        f"after they started, up to {sc.cohort.observed_to}. fam compared that use with what "
        "the model expected for the same months, and weighted the published evidence "
        "(the prior) by how well each possibility explains it. Regression to the mean is part "
        "of the prior, so a fall in use it could explain is not credited to the programme. "
        f"Effective sample size of the update: {s['effective_sample_size']:,.0f} of "
        f"{results.iterations:,} simulations.",
        size=9.5,
        after=0.12,
    )
    p, u = s["prior"], s["updated"]
    rows = [
        [
            "Programme costs",
            money(p["costs"]["mean"]),
            _interval(p["costs"], money),
            money(u["costs"]["mean"]),
            _interval(u["costs"], money),
        ],
        [
            "Savings (benefits)",
            money(p["benefits"]["mean"]),
            _interval(p["benefits"], money),
            money(u["benefits"]["mean"]),
            _interval(u["benefits"], money),
        ],
        [
            "Net present value",
            money(p["npv"]["mean"]),
            _interval(p["npv"], money),
            money(u["npv"]["mean"]),
            _interval(u["npv"], money),
        ],
        [
            "£ back for every £1",
            per_pound(_ratio_of_means(p)),
            _interval(p["bcr"], per_pound),
            per_pound(_ratio_of_means(u)),
            _interval(u["bcr"], per_pound),
        ],
        [
            "Chance of breaking even",
            pct(p["prob_npv_positive"]),
            "",
            pct(u["prob_npv_positive"]),
            "",
        ],
    ]
    doc.table(
        f"Before and after the update (mean and 90% interval, present values, {pby} prices)",
        [
            Column("Measure", 0.22),
            Column("Evidence only", 0.14, "right"),
            Column("90% interval", 0.25, "right"),
            Column("Updated", 0.14, "right"),
            Column("90% interval", 0.25, "right"),
        ],
        rows,
        size=8.5,
        bold_first=True,
        note="£ back for every £1: mean savings ÷ mean costs, as the headline on page 1.",
    )
    erows = []
    for e in effects:
        label = "; ".join(names.get(x, x) for x in e["services"])
        narrowed = e["interval_narrowing"]
        erows.append(
            [
                label,
                f"{_change(e['prior']['mean'])} ({_interval(e['prior'], _change)})",
                f"{_change(e['updated']['mean'])} ({_interval(e['updated'], _change)})",
                "n/a" if narrowed is None else f"{narrowed:.0%}",
            ]
        )
    doc.table(
        "Effects: published evidence and updated (mean change in use, 90% interval)",
        [
            Column("Service", 0.34),
            Column("Evidence only", 0.25, "right"),
            Column("Updated", 0.25, "right"),
            Column("Interval narrowed", 0.16, "right"),
        ],
        erows,
        size=8.5,
        note="A negative change is less use than would have happened anyway. 'Interval "
        "narrowed' is how much shorter the updated 90% interval is than the prior one.",
    )
    o = s["observed_to_date"]
    if o.get("clients"):
        doc.heading("The observed return to date", size=11)
        saved = o["savings"]
        verdict = (
            f"an observed saving of {money(saved)}"
            if saved >= 0
            else f"{money(-saved)} more than expected, so no saving yet"
        )
        doc.text(
            f"Over the {o['client_months']:,} client-months observed, the {o['clients']:,} "
            f"clients used {money(o['observed_cost'])} of services against "
            f"{money(o['counterfactual_cost'])} expected without the programme: {verdict}. "
            f"Programme costs to date are {money(o['programme_costs'])}, so the net position "
            f"to date is {money(o['net'], signed=True)} (undiscounted, central counterfactual, "
            "no optimism bias). The counterfactual is still a model: the data cannot show what "
            "would have happened without the programme.",
            size=9.5,
        )
    ax = doc.figure(
        "Net present value before and after the update",
        "Share of simulations at each NPV, from the published evidence alone and after the "
        "programme's own data.",
        height=2.0,
    )
    up = results.update
    assert up is not None, "the update page is built only when there is an update"
    prior, post = up.prior.npv, up.posterior.npv
    bins = np.histogram_bin_edges(np.concatenate([prior, post]), bins=40).tolist()
    w = np.full(len(prior), 1 / len(prior))
    ax.hist(
        prior,
        bins=bins,
        weights=w,
        histtype="step",
        color=BLUE,
        lw=1.6,
        ls="--",
        label="Evidence only",
    )
    ax.hist(
        post,
        bins=bins,
        weights=np.full(len(post), 1 / len(post)),
        color=VERMILLION,
        alpha=0.55,
        hatch="//",
        edgecolor=INK,
        lw=0.3,
        label="Updated",
    )
    ax.axvline(0, color=INK, lw=0.8, ls=":", label="Break-even (£0)")
    ax.xaxis.set_major_formatter(MONEY_AXIS)
    ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    ax.set_xlabel(f"Net present value, £ ({pby} prices)")
    ax.set_ylabel("Share of simulations")
    ax.legend(frameon=False, fontsize=8)
    style_axes(ax)
    return True
