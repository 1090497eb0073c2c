"""The comparison briefing for `fam compare`: several options run with the same seed.

Because every option draws its uncertain inputs from the same named random streams (common
random numbers), iteration i of one option and iteration i of another share their draws; the
difference in NPV iteration by iteration therefore measures the difference between the
options rather than the noise of two separate runs.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fam.analyses import compare as cmp
from fam.version import __version__
from fam.vocabulary import PERSPECTIVE_DESCRIPTION
from fam.writers import briefing_charts as charts
from fam.writers.briefing import (
    EVIDENCE,
    PROGRAMMES,
    _month_label,
    _save_all,
    _years,
    house_style,
    payback_phrase,
)
from fam.writers.briefing_style import Column, Doc, money, pct, per_pound

if TYPE_CHECKING:
    from fam.analyses.results import Results

PER_TABLE = 3  # options side by side in one table; more continue in a further table


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def best_shares(npvs: list[np.ndarray]) -> list[float]:
    """Share of iterations in which each option has the highest NPV; ties share equally."""
    stack = np.vstack([np.asarray(v, dtype=float) for v in npvs])
    top = stack.max(axis=0)
    tol = 1e-9 * np.maximum(1.0, np.abs(top))
    winners = (stack >= top - tol).astype(float)
    winners /= winners.sum(axis=0, keepdims=True)
    return [float(x) for x in winners.mean(axis=1)]


def _names(results_list: list[Results]) -> list[str]:
    names = [r.name for r in results_list]
    out = []
    for i, n in enumerate(names):
        out.append(n if names.count(n) == 1 else f"{n} ({results_list[i].stem})")
    return out


def _paired(results_list: list[Results]) -> tuple[bool, str]:
    seeds = {r.seed for r in results_list}
    iters = {r.iterations for r in results_list}
    if len(seeds) == 1 and len(iters) == 1:
        return True, ""
    return False, (
        "The options were not run with the same seed and number of iterations, so they "
        "cannot be compared simulation by simulation; differences and the share of "
        "simulations in which each option is best are not shown."
    )


def _warnings(results_list: list[Results]) -> list[str]:
    out = []
    pby = {r.inputs.scenario.price_base_year for r in results_list}
    if len(pby) > 1:
        out.append(
            "The options use different price base years (" + ", ".join(sorted(pby)) + "): "
            "their £ figures are not directly comparable."
        )
    persp = {r.inputs.scenario.perspective for r in results_list}
    if len(persp) > 1:
        out.append(
            "The options count savings from different perspectives ("
            + ", ".join(sorted(persp))
            + "): their benefits are not like for like."
        )
    horizons = {r.inputs.scenario.horizon_years for r in results_list}
    if len(horizons) > 1:
        out.append(
            "The options are appraised over different numbers of years: a longer appraisal "
            "counts more savings."
        )
    return out


def build_comparison(results_list: list[Results], run_date: str) -> Doc:
    if not results_list:
        raise ValueError("write_comparison_briefing needs at least one set of results")
    names = _names(results_list)
    summaries = [r.summary() for r in results_list]
    paired, why = _paired(results_list)
    npvs = [np.asarray(r.npv, dtype=float) for r in results_list]
    doc = Doc(footer=f"Comparison of {len(results_list)} options  ·  fam briefing")
    doc.new_page()
    doc.text(f"Comparing {len(results_list)} options", size=19, bold=True, after=0.04)
    doc.text(
        f"Briefing for commissioners  ·  run {run_date}  ·  "
        + (
            f"{results_list[0].iterations:,} simulations with seed {results_list[0].seed}"
            if paired
            else "simulations not paired"
        ),
        size=9.5,
        color="#4d4d4d",
        after=0.2,
    )

    central = [float(s["central"]["npv"]) for s in summaries]
    best_central = int(np.argmax(central))
    tied_central = [i for i, v in enumerate(central) if _same(v, central[best_central])]
    shares: list[float] = []
    if paired:
        # doing nothing (NPV £0 in every simulation) is an option too, listed last
        shares = best_shares([*npvs, np.zeros_like(npvs[0])])
        head = cmp.verdict(results_list)
        if np.allclose(np.vstack(npvs), npvs[0][None, :], rtol=1e-12, atol=1e-6):
            head += " The options give the same net present value in every simulation."
    elif len(tied_central) > 1:
        head = (
            "In the central case "
            + _join([names[i] for i in tied_central])
            + f" have the same, highest, net present value ({money(central[best_central])})."
        )
    else:
        head = (
            f"{names[best_central]} has the highest net present value in the central case "
            f"({money(central[best_central])})."
        )
    doc.heading("Which option is best?")
    doc.text(head, size=11, after=0.1)
    note = cmp.seed_note(results_list) if paired else None
    for w in _warnings(results_list) + ([why] if why else []) + ([note] if note else []):
        doc.text(w, size=9.5, color="#4d4d4d", after=0.06)
    doc.gap(0.08)

    for a in range(0, len(results_list), PER_TABLE):
        idx = list(range(a, min(a + PER_TABLE, len(results_list))))
        cols = [Column("Measure", 0.28)] + [Column(names[i], 0.72 / len(idx), "right") for i in idx]
        rows: list[list[str]] = []

        def row(
            label: str, f: Callable[[int], str], idx: list[int] = idx, rows: list[list[str]] = rows
        ) -> None:
            rows.append([label] + [f(i) for i in idx])

        row("Clients", lambda i: f"{results_list[i].inputs.size:,}")
        row("Programme costs", lambda i: money(summaries[i]["central"]["costs"]))
        row("Savings (benefits)", lambda i: money(summaries[i]["central"]["benefits"]))
        row("Net present value (NPV)", lambda i: money(summaries[i]["central"]["npv"]))
        row(
            "NPV 90% interval",
            lambda i: (
                f"{money(summaries[i]['monte_carlo']['npv']['p5'])} to "
                f"{money(summaries[i]['monte_carlo']['npv']['p95'])}"
            ),
        )
        row(
            "Costs per client",
            lambda i: money(summaries[i]["central"]["costs"] / results_list[i].inputs.size),
        )
        row(
            "NPV per client",
            lambda i: money(summaries[i]["central"]["npv"] / results_list[i].inputs.size),
        )
        row("£ back for every £1", lambda i: per_pound(summaries[i]["central"]["bcr"]))
        row(
            "£ back per £1, 90% interval",
            lambda i: (
                f"{per_pound(summaries[i]['monte_carlo']['bcr']['p5'])} to "
                f"{per_pound(summaries[i]['monte_carlo']['bcr']['p95'])}"
            ),
        )
        row(
            "Chance of breaking even",
            lambda i: pct(summaries[i]["monte_carlo"]["prob_npv_positive"]),
        )
        row(
            "Payback",
            lambda i: payback_phrase(
                summaries[i]["central"]["payback_years"],
                results_list[i].inputs.scenario.start,
                results_list[i].inputs.scenario.horizon_years,
            ),
        )
        row(
            "Pays back within the horizon",
            lambda i: (
                f"in {pct(summaries[i]['monte_carlo']['payback']['share_within_horizon'])} of "
                "simulations"
            ),
        )
        if paired:
            row("Best option (share of simulations)", lambda i: pct(shares[i]))
        row(
            "Programme",
            lambda i: PROGRAMMES[results_list[i].inputs.scenario.programme],
        )
        row(
            "Strength of the evidence",
            lambda i: EVIDENCE[results_list[i].inputs.scenario.programme][0],
        )
        row(
            "Counterfactual",
            lambda i: results_list[i].inputs.counterfactual_method,
        )
        row(
            "Appraisal",
            lambda i: (
                f"{_years(results_list[i].inputs.scenario.horizon_years)} from "
                f"{_month_label(results_list[i].inputs.scenario.start, 0)}; "
                f"{results_list[i].inputs.scenario.price_base_year} prices; "
                f"{PERSPECTIVE_DESCRIPTION[results_list[i].inputs.scenario.perspective].split(' (')[0]}"
            ),
        )
        doc.table(
            "Key figures side by side (central estimates, present values)",
            cols,
            rows,
            size=8.8,
            bold_first=True,
            note=(
                f"Doing nothing (no cost, no saving, NPV £0) is counted as an option: it is best "
                f"in {pct(shares[-1])} of simulations."
                if paired
                else ""
            ),
        )

    pby = results_list[0].inputs.scenario.price_base_year
    ax = doc.figure(
        "Net present value: how the options' results spread",
        "Share of simulations at each net present value, one outline per option. Further "
        "right is better; to the right of the dotted line an option pays for itself.",
        height=4.2,
        left=0.8,
        bottom=0.6 + 0.17 * ((len(names) + 1) // 2),
    )
    charts.npv_overlay(ax, names, npvs, f"Net present value, £ ({pby} prices)")

    if paired and len(results_list) > 1:
        base = npvs[0]
        diffs = [v - base for v in npvs[1:]]
        c_diff = [central[i] - central[0] for i in range(1, len(results_list))]
        p5 = [float(np.percentile(d, 5)) for d in diffs]
        p95 = [float(np.percentile(d, 95)) for d in diffs]
        better = [float(np.mean(d > 0)) for d in diffs]
        ax = doc.figure(
            f"Difference in net present value from {names[0]}",
            "Each option's NPV minus the first option's, simulation by simulation (the "
            "options share their random draws). Right of the dotted line the option does "
            f"better than {names[0]}.",
            height=0.75 * len(diffs) + 1.5,
            left=1.75,
            bottom=0.95,
        )
        charts.difference_chart(
            ax,
            names[1:],
            c_diff,
            p5,
            p95,
            better,
            f"Difference in net present value, £ ({pby} prices)",
        )
        doc.table(
            f"Difference in net present value from {names[0]}",
            [
                Column("Option", 0.34),
                Column("Central difference", 0.18, "right"),
                Column("90% interval", 0.28, "right"),
                Column("Better in", 0.2, "right"),
            ],
            [
                [
                    names[i + 1],
                    money(c_diff[i], signed=True),
                    f"{money(p5[i], signed=True)} to {money(p95[i], signed=True)}",
                    f"{pct(better[i])} of simulations",
                ]
                for i in range(len(diffs))
            ],
            size=9,
        )
    if paired:
        ax = doc.figure(
            "How often each option is best",
            "Share of simulations in which each option has the highest net present value; "
            "doing nothing (NPV £0) counts as an option.",
            height=0.55 * (len(names) + 1) + 1.2,
            left=1.75,
        )
        charts.best_chart(ax, [*names, cmp.DO_NOTHING], shares, neutral_last=True)

    doc.new_page()
    doc.heading("Notes", size=13)
    doc.bullets(
        [
            "Net present value (NPV) = present value of savings to public services minus "
            "present value of programme costs; £ back for every £1 = savings ÷ costs; the "
            "chance of breaking even is the share of simulations with NPV above £0; payback "
            "is the first year by whose end the cumulative discounted net position is £0 or "
            "more. Each option's own briefing gives the full definitions, assumptions and "
            "sources.",
            "90% interval: nine in ten simulations fall in this range. Differences between "
            "options are taken simulation by simulation, which is valid because options run "
            "with the same seed draw each shared input from the same random stream.",
            "Best option: the share of simulations in which an option has the highest NPV "
            "(options tied in a simulation share it equally). Doing nothing, with no cost and "
            "no saving (NPV £0), is an option in every comparison: when no option pays back, "
            "it is the best.",
        ],
        size=9.3,
    )
    doc.table(
        "Provenance",
        [
            Column("Option", 0.3),
            Column("fam version", 0.13),
            Column("Seed", 0.14, "right"),
            Column("Iterations", 0.13, "right"),
            Column("Scenario hash (sha256)", 0.3),
        ],
        [
            [
                names[i],
                str(s["fam_version"]),
                str(s["seed"]),
                f"{s['iterations']:,}",
                str(s["inputs_sha256"].get("scenario", ""))[:12] + "…",
            ]
            for i, s in enumerate(summaries)
        ],
        size=8.8,
        note=f"Date of the run: {run_date}.",
    )
    return doc


def write_comparison_briefing(
    results_list: list[Results], path: Path, *, run_date: _dt.date | None = None
) -> int:
    """Write the PDF comparing several scenarios (run with the same seed); return pages."""
    date = (run_date or _dt.date.today()).isoformat()
    with house_style():
        doc = build_comparison(results_list, date)
        title = "Comparison: " + "; ".join(r.name for r in results_list)
        return _save_all(doc, Path(path), title, f"fam {__version__}")
