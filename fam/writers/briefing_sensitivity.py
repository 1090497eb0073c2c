"""The briefing's "What matters and what to research next" page(s).

The break-even curve (chance of breaking even against the programme cost per client), the
switching values in plain words and the value of information, all from
`Results.sensitivity` (fam.analyses.sensitivity.report, computed once per run by the analysis stage),
which the workbook's Sensitivity sheet shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from fam.analyses import sensitivity as sens
from fam.writers import briefing_charts as charts
from fam.writers.briefing_style import LINE, MUTED, TEXT_W, Column, Doc, fit, money, pct

if TYPE_CHECKING:
    from fam.analyses.results import Results

LabelOf = Callable[[str, str], str]
ValueOf = Callable[[str, float], str]

HEADING = "What matters and what to research next"

GROUPS = {
    "all drawn inputs": "Every uncertain input, learnt together",
    "effects": "All the effects on service use, together",
    "unit costs": "All the unit costs, together",
    "programme costs": "The programme costs",
}

TOP_INPUTS = 5  # inputs shown in the value-of-information table


def _decap(s: str) -> str:
    """Lower-case the first letter of a label used mid-sentence, unless it starts an acronym."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


def _what(name: str, label: str, label_of: LabelOf) -> str:
    """'the effect on residential care' for an effect, else the reader's label mid-sentence."""
    who = label_of(name, label)
    if name.startswith("effects.") and ": " in who:
        return "the effect on " + _decap(who.split(": ", 1)[1])
    return _decap(who)


def _change(x: float) -> str:
    """An effect in words: 'a 25% fall', 'a 5% rise', 'no change'."""
    if abs(x) < 0.005:
        return "no change"
    return f"a {pct(abs(x))} {'fall' if x < 0 else 'rise'}"


def _people(n: float) -> str:
    return f"{n:,.0f} client" + ("" if round(n) == 1 else "s")


def _reading(results: Results, rep: sens.Report, label_of: LabelOf) -> str:
    """One paragraph in plain words: the expected answer, the price that would change it, and
    what research could be worth."""
    size = results.inputs.size
    mean = float(np.mean(results.npv))
    prob = float(np.mean(results.npv > 0))
    central = float(results.central.npv)
    parts = [
        "On current evidence the programme is expected to "
        + ("save more than it costs" if mean > 0 else "cost more than it saves")
        + f" (net present value {money(mean)} on average across the simulations, "
        f"{money(central)} in the central case); it breaks even in {pct(prob)} of simulations."
    ]
    half = rep.even_odds_cost
    if half is not None and rep.scenario_cost > 0:
        if half < rep.scenario_cost:
            parts.append(
                f"Breaking even becomes more likely than not only if the programme costs less "
                f"than about {money(half)} per client, against {money(rep.scenario_cost)} in "
                "this scenario."
            )
        else:
            parts.append(
                f"Breaking even stays more likely than not up to a cost of about {money(half)} "
                f"per client ({money(rep.scenario_cost)} in this scenario)."
            )
    vi = rep.voi
    evpi_pop, evpi_pc = vi.attrs["evpi_population"], vi.attrs["evpi_per_client"]
    if evpi_pop <= 0:
        parts.append(
            "Every simulation points to the same decision, so no research could change it: "
            "the value of more information is £0."
        )
        return " ".join(parts)
    parts.append(
        f"Removing all the uncertainty would be worth at most {money(evpi_pop)} for the "
        f"{_people(size)} expected ({money(evpi_pc)} per client): an evaluation, pilot or data "
        "exercise costing more than that is not worth doing for this decision alone."
    )
    groups = vi[vi["kind"] == "group"].set_index("name")
    if "all drawn inputs" in groups.index:
        drawn = float(groups.loc["all drawn inputs", "evppi_population"])
        if drawn < 0.9 * evpi_pop:
            parts.append(
                f"Of that, {money(drawn)} is uncertainty about the inputs, which research can "
                "reduce; the rest is chance variation between clients, which it cannot."
            )
    inputs = vi[vi["kind"] == "input"].sort_values("evppi_population", ascending=False)
    labels = dict(zip(rep.tornado["input"], rep.tornado["label"], strict=True))
    if len(inputs) and float(inputs["evppi_population"].iloc[0]) > 0:
        top = inputs.iloc[0]
        name = str(top["name"])
        parts.append(
            f"The single input most worth researching is "
            f"{_what(name, labels.get(name, name), label_of)} "
            f"({money(float(top['evppi_population']))}, {pct(float(top['share_of_evpi']))} of "
            "the total)."
        )
    elif len(inputs):
        parts.append(
            "No single input, learnt on its own, would change the decision; only learning "
            "several together could."
        )
    return " ".join(parts)


def _condition(
    name: str, label: str, sv: float, increasing: bool, label_of: LabelOf, value_of: ValueOf
) -> str:
    """'the effect on X is at least a 59% fall in use' and the like."""
    what = _what(name, label, label_of)
    if name.startswith("effects."):
        if increasing:
            amount = (
                f"no more than a {pct(-sv)} fall in use"
                if sv < 0
                else f"at least a {pct(sv)} rise in use"
            )
        else:
            amount = (
                f"at least a {pct(-sv)} fall in use"
                if sv < 0
                else f"no more than a {pct(sv)} rise in use"
            )
        return f"{what} is {amount}"
    bound = "at least" if increasing else "no more than"
    return f"{what} is {bound} {value_of(name, sv)}"


def _in_words(name: str, x: float, value_of: ValueOf) -> str:
    return _change(x) if name.startswith("effects.") else value_of(name, x)


def _switching(
    doc: Doc, results: Results, rep: sens.Report, label_of: LabelOf, value_of: ValueOf
) -> None:
    # the heading, its lead sentence and the first condition stay together
    doc.heading("When would the answer change?", size=11.5, keep=1.2)
    torn = rep.tornado.set_index("input")
    items = []
    for r in rep.switching.itertuples(index=False):
        sv = r.switching_value
        if sv is None or not np.isfinite(float(sv)):
            continue
        t = torn.loc[r.input]
        increasing = float(t["npv_high"]) > float(t["npv_low"])
        cond = _condition(str(r.input), str(r.label), float(sv), increasing, label_of, value_of)
        name = str(r.input)
        items.append(
            f"{cond[0].upper() + cond[1:]} (central estimate "
            f"{_in_words(name, float(r.central), value_of)}; plausible range "
            f"{_in_words(name, float(r.range_low), value_of)} to "
            f"{_in_words(name, float(r.range_high), value_of)})."
        )
    central = float(results.central.npv)
    if central < 0:
        lead = (
            "In the central case the programme does not break even. With every other input at "
            "its central value, it would if:"
        )
    else:
        lead = (
            "In the central case the programme breaks even. With every other input at its "
            "central value, it goes on doing so only while:"
        )
    if items:
        doc.text(lead, size=9.5, after=0.05, keep=0.5)
        doc.bullets(items)
    n_none = int(rep.switching["switching_value"].isna().sum())
    if n_none:
        doc.text(
            ("None of the other " if items else "None of the ")
            + f"{n_none} uncertain inputs (of {len(rep.switching)} in all) can, on its own, "
            "change whether the central case breaks even anywhere in its plausible range "
            "(0.1st to 99.9th percentile).",
            size=9.5,
            after=0.1,
        )


def _voi_table(doc: Doc, results: Results, rep: sens.Report, label_of: LabelOf) -> None:
    vi = rep.voi
    size = results.inputs.size
    evpi_pop, evpi_pc = vi.attrs["evpi_population"], vi.attrs["evpi_per_client"]

    def share(v: float) -> str:
        return pct(v / evpi_pop) if evpi_pop > 0 else "n/a"

    rows = [["All the uncertainty (EVPI)", money(evpi_pop), money(evpi_pc), share(evpi_pop)]]
    groups = vi[vi["kind"] == "group"].set_index("name")
    for g in GROUPS:
        if g in groups.index:
            r = groups.loc[g]
            rows.append(
                [
                    GROUPS[g],
                    money(float(r["evppi_population"])),
                    money(float(r["evppi_per_client"])),
                    share(float(r["evppi_population"])),
                ]
            )
    labels = dict(zip(rep.tornado["input"], rep.tornado["label"], strict=True))
    inputs = vi[vi["kind"] == "input"].sort_values(
        "evppi_population", ascending=False, kind="stable"
    )
    worth = inputs[inputs["evppi_population"] > 0]
    for r in worth.head(TOP_INPUTS).itertuples(index=False):
        name = str(r.name)
        rows.append(
            [
                label_of(name, labels.get(name, name)),
                money(float(r.evppi_population)),
                money(float(r.evppi_per_client)),
                share(float(r.evppi_population)),
            ]
        )
    rest = len(inputs) - min(len(worth), TOP_INPUTS)
    if rest:
        rows.append(
            [
                f"Any one of the {'other ' if len(worth) else ''}{rest} inputs evaluated, "
                + ("on its own (at most)" if len(worth) > TOP_INPUTS else "on its own"),
                money(float(inputs["evppi_population"].iloc[min(len(worth), TOP_INPUTS)])),
                money(float(inputs["evppi_per_client"].iloc[min(len(worth), TOP_INPUTS)])),
                share(float(inputs["evppi_population"].iloc[min(len(worth), TOP_INPUTS)])),
            ]
        )
    evaluated = len(inputs)
    note = (
        "The most it would be worth paying for research that removes this uncertainty, for "
        "the decision to fund the programme or not: an upper bound, since no study removes "
        "uncertainty completely. £0: learning it would not change the decision. Groups are "
        "learnt together, so the rows do not add up. "
        + (
            f"Partial values were computed for the {evaluated} inputs that move the net "
            "present value most and for the groups. "
            if evaluated
            else ""
        )
        + "'All the uncertainty' also counts chance variation between clients, which no "
        "research removes."
    )
    # keep the table on one page: start a new page unless all of it fits
    lh = 8.8 * LINE / 72
    body = sum(max(len(fit(r[0], 0.46 * TEXT_W - 0.1, 8.8)), 1) * lh + 0.09 for r in rows)
    doc.need(0.35 + 2 * lh + 0.09 + body + len(fit(note, TEXT_W, 8)) * 8 * LINE / 72 + 0.3)
    doc.table(
        "Value of information: the most it would be worth paying for research that removes "
        "this uncertainty",
        [
            Column("Uncertainty removed", 0.46),
            Column(f"For the {_people(size)} expected", 0.2, "right"),
            Column("Per client", 0.14, "right"),
            Column("Share of all the uncertainty", 0.2, "right"),
        ],
        rows,
        size=8.8,
        note=note,
    )


def sensitivity_page(doc: Doc, results: Results, label_of: LabelOf, value_of: ValueOf) -> None:
    """A new page: the break-even curve, switching values and the value of information."""
    rep = results.sensitivity
    assert rep is not None, "the analysis stage computes the sensitivity report"
    sc = results.inputs.scenario
    # on the page before when the heading, its lead text and the break-even curve fit there
    doc.need(5.2)
    doc.heading(HEADING, size=13)
    if results.updated:
        doc.text(
            "This section analyses the scenario as written, before the programme's own "
            "follow-up (the headline on page 1 is the updated forecast).",
            size=9,
            color=MUTED,
            after=0.08,
        )
    if rep.n_uncertain == 0:
        evpi = float(rep.voi.attrs["evpi_population"])
        doc.text(
            "No input in this scenario is uncertain (every input is fixed), so no single "
            "assumption can be picked out as mattering most, and there is nothing for research "
            "to find out"
            + (
                f": the {money(evpi)} that perfect information would be worth here is chance "
                "variation between clients, which no research removes."
                if evpi > 0
                else ": the value of more information is £0."
            ),
            size=9.5,
            after=0.12,
        )
    else:
        doc.text(_reading(results, rep, label_of), size=9.5, after=0.12)
    curve = rep.curve
    costs = curve["cost"].to_numpy(float)
    probs = curve["prob_npv_positive"].to_numpy(float)
    at = int(np.argmin(np.abs(costs - rep.scenario_cost)))
    prob = float(np.mean(results.npv > 0))
    extra = ""
    if rep.n_uncertain and pct(float(probs[at])) != pct(prob):
        extra = (
            f" At exactly this scenario's cost the chance is {pct(float(probs[at]))}; the "
            f"{pct(prob)} on page 1 also allows for uncertainty in the cost itself."
        )
    ax = doc.figure(
        "Break-even curve: the chance of breaking even by cost per client",
        "The share of simulations in which the programme saves more than it costs, if it cost "
        "the amount on the horizontal axis per client (every other uncertainty as in the "
        "simulations). Where the curve crosses the dashed line, breaking even is as likely as "
        "not." + extra,
        height=3.5,
        left=0.8,
        bottom=0.95,
    )
    charts.break_even_chart(
        ax,
        costs,
        probs,
        rep.scenario_cost,
        float(probs[at]),
        rep.even_odds_cost,
        f"Programme cost per client (£, {sc.price_base_year} prices)",
    )
    if rep.n_uncertain:
        _switching(doc, results, rep, label_of, value_of)
        _voi_table(doc, results, rep, label_of)
