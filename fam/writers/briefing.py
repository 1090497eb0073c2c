"""The PDF briefing: what the money does, how sure we are and who gains, in five minutes.

Pages (A4 portrait):
1. the headline in plain words, the key figures (central and 90% interval), the strength of
   the evidence and the counterfactual used;
2. figures: cumulative discounted net position by year (fan chart) and the distribution of
   £ back per £1;
3. figures: who pays and who saves by agency, and the inputs that move NPV most (tornado,
   when fam.analyses.sensitivity is available); the social impact bond when the results carry one;
4. what matters and what to research next (fam/writers/briefing_sensitivity.py): the
   break-even curve, switching values in words and the value of information;
5. onwards: assumptions and sources (uncertain inputs, unit costs), method notes with the
   definitions of docs/method.md, and provenance.

`write_briefing` returns the number of pages written. The output depends only on the results,
apart from the date printed in the provenance (pass `run_date` to fix it).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from fam.analyses.ledger import INVESTORS  # noqa: E402
from fam.model.finance import bcr as bcr_of  # noqa: E402
from fam.model.finance import payback_years  # noqa: E402
from fam.vocabulary import (
    MONTH_IN_UNIT,  # noqa: E402
    PERSPECTIVE_DESCRIPTION,  # noqa: E402
)
from fam.writers import briefing_charts as charts  # noqa: E402
from fam.writers.briefing_sensitivity import sensitivity_page  # noqa: E402
from fam.writers.briefing_sib import sib_section, sib_summary  # noqa: E402
from fam.writers.briefing_style import (  # noqa: E402
    BLUE,
    LIGHT,
    MARGIN_L,
    MUTED,
    PAGE_H,
    PAGE_W,
    TEXT_W,
    Column,
    Doc,
    fit,
    house_style,
    money,
    money_exact,
    number,
    pct,
    per_pound,
    shorten,
)
from fam.writers.briefing_update import update_section  # noqa: E402
from fam.writers.notices import synthetic_notice  # noqa: E402

if TYPE_CHECKING:
    from fam.analyses.results import Results
    from fam.inputs.loading import Input, ModelInputs

__all__ = ["write_briefing", "headline_text"]

WARN = "#9C0006"  # the synthetic-data notice on page 1
SOURCES_KEY = (
    "Sources: 'E-' identifiers are items of docs/evidence.md in the fam repository; the "
    "letter after one is its status: V verified in the original source, S from a secondary "
    "source (a review or summary), U unverified. 'Assumption' marks a figure that no "
    "published item gives."
)

PROGRAMMES = {
    "mst": "Multisystemic Therapy (MST)",
    "wraparound": "Wraparound",
    "link_worker": "Link worker",
    "custom": "Custom programme",
}

# Strength of the evidence for a UK service, by programme: docs/evidence.md E-MST-REVIEW,
# E-WRAP-REVIEW, E-LW-REVIEW (S). The label rates the evidence a UK commissioner can rely on:
# where UK results are weaker or missing, they set it, whatever the trials abroad found.
EVIDENCE = {
    "mst": (
        "Mixed",
        "Strong in US trials, which show fewer offences and fewer out-of-home placements; "
        "mixed in the UK (the START trial found no effect on placements at 18 months), so UK "
        "effects may be smaller.",
    ),
    "wraparound": (
        "Promising, untested in the UK",
        "Promising US evidence but none from the UK; strongest on keeping young people out "
        "of custody, care and hospital. Effects found in the US may not transfer.",
    ),
    "link_worker": (
        "Early",
        "Before-and-after studies only, with no comparison group; promising on housing, A&E "
        "attendances and arrests. Clients are referred at crisis, so some improvement would "
        "have happened anyway, and costs can rise at first as clients start using planned "
        "services.",
    ),
    "custom": ("Not stated", "The scenario does not say which evidence the effects rest on."),
}

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# ---------------------------------------------------------------------------- words


def _month_label(start: str, offset: int) -> str:
    """The calendar month `offset` months after `start` ('2013-04'), e.g. 'March 2016'."""
    y, m = (int(v) for v in start.split("-"))
    k = y * 12 + (m - 1) + offset
    return f"{MONTHS[k % 12]} {k // 12}"


def _years(n: int) -> str:
    return "1 year" if n == 1 else f"{n} years"


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(float(x))


def payback_phrase(pay: float | None, start: str, horizon: int) -> str:
    if not _finite(pay):
        return f"does not pay back within the {_years(horizon)} appraised"
    assert pay is not None
    y = int(pay)
    return f"pays back in year {y} (by {_month_label(start, 12 * y - 1)})"


def headline_text(results: Results) -> list[str]:
    """The headline lines of page 1 (plain words): the updated forecast when the scenario
    carries observed follow-up, with a third line saying how far the data moved it."""
    h = results.headline()
    sc = results.inputs.scenario
    years = _years(sc.horizon_years)
    ratio, benefits = h["bcr"], h["benefits"]
    if not _finite(ratio):
        if _finite(benefits) and benefits != 0:
            first = (
                f"No programme costs were entered: net savings of {money(benefits)} over "
                f"{years}, so '£ back per £1' does not apply"
            )
        else:
            first = f"No programme costs and no savings over {years}"
    elif ratio < 0:
        first = (
            f"Service costs rise rather than fall: {per_pound(ratio)} back for every £1 "
            f"invested over {years}"
        )
    else:
        first = f"{per_pound(ratio)} back for every £1 invested over {years}"
    second = (
        f"A {pct(h['prob_npv_positive'])} chance of breaking even; it "
        f"{payback_phrase(h['payback_years'], sc.start, sc.horizon_years)}."
    )
    lines = [first, second[0].upper() + second[1:]]
    if h["basis"] == "updated":
        p = results.prior_headline()
        moved = h["npv"] - p["npv"] if _finite(h["npv"]) and _finite(p["npv"]) else None
        direction = "" if moved is None else ("up" if moved >= 0 else "down")
        lines.append(
            "Updated with the programme's own follow-up, which moved the expected net present "
            f"value {direction} by {money(None if moved is None else abs(moved))} (from "
            f"{money(p['npv'])} to {money(h['npv'])}). Before the data: {per_pound(p['bcr'])} "
            f"back per £1, a {pct(p['prob_npv_positive'])} chance of breaking even."
        )
    return lines


def _value(name: str, x: float | None, signed_effects: bool = True) -> str:
    """An input value in its own terms: shares as %, effects as signed %, money as £."""
    if not _finite(x):
        return "n/a"
    assert x is not None
    if name.startswith("effects."):
        return pct(x, signed=signed_effects)
    if name.startswith(("counterfactual.trend", "engagement.", "additionality.")):
        return pct(x)
    if name.startswith(("programme_costs.", "unit_cost.")):
        return money_exact(x)
    return number(x)


def _short_description(text: str, limit: int = 40) -> str:
    s = re.sub(r"\s*\([^)]*\)", "", str(text)).split(":")[0].strip()
    if len(s) > limit:
        s = s.split(",")[0].strip()
    return shorten(s, limit)


def _service_names(mi: ModelInputs) -> dict[str, str]:
    rows = mi.cost_rows.drop_duplicates("service")
    return {
        str(r.service): _short_description(str(r.description))
        for r in rows.itertuples()
        if str(r.description).strip()
    }


def _state(name: str) -> str:
    """A placement chain's state as words ("agency_foster" -> "agency foster")."""
    return name.replace("_", " ")


def plain_label(mi: ModelInputs, name: str, label: str = "") -> str:
    """A reader's label for a named input (service codes become descriptions)."""
    names = _service_names(mi)
    if name.startswith("effects.placements."):  # effects.placements.<from>-><to>.change
        a, _, b = name.split(".")[2].partition("->")
        return f"Change in the monthly chance of moving {_state(a)} → {_state(b)}"
    if name.startswith("effects."):
        services = [e.service for e in mi.effects if e.change is not None and e.change.name == name]
        desc = [names.get(s, s) for s in services]
        if not desc:
            desc = [name.split(".")[1]]
        shown = "; ".join(desc[:2]) + (f" and {len(desc) - 2} more" if len(desc) > 2 else "")
        return f"Change in use: {shown}"
    if name.startswith("unit_cost."):
        service = name.split(".")[1]
        return f"Unit cost: {names.get(service, service)}"
    if name == "counterfactual.trend":
        return "Share of use at referral that would fall away anyway"
    if name.startswith("programme_costs."):
        return "Programme cost " + name.split(".")[1].replace("_", " ")
    return label or name


# ---------------------------------------------------------------------------- page 1


def _headline_box(doc: Doc, lines: list[str]) -> None:
    p = doc.need(1.4)
    sizes = [15.5, 12, 10][: len(lines)]
    wrapped = [
        fit(line, TEXT_W - 0.45, size, bold=i == 0)
        for i, (line, size) in enumerate(zip(lines, sizes, strict=True))
    ]
    h = sum(len(w) * s * 1.3 / 72 for w, s in zip(wrapped, sizes, strict=True)) + 0.36
    top = p.y
    p.fig.patches.append(
        Rectangle(
            (MARGIN_L / PAGE_W, 1 - (top + h) / PAGE_H),
            TEXT_W / PAGE_W,
            h / PAGE_H,
            transform=p.fig.transFigure,
            facecolor=LIGHT,
            edgecolor="none",
        )
    )
    p.fig.patches.append(
        Rectangle(
            (MARGIN_L / PAGE_W, 1 - (top + h) / PAGE_H),
            0.07 / PAGE_W,
            h / PAGE_H,
            transform=p.fig.transFigure,
            facecolor=BLUE,
            edgecolor="none",
        )
    )
    p.y = top + 0.15
    for i, (w, size) in enumerate(zip(wrapped, sizes, strict=True)):
        doc.text("\n".join(w), size=size, bold=i == 0, indent=0.25, after=0.06)
    p.y = top + h + 0.12


def _key_rows(results: Results) -> list[list[str]]:
    """Key figures: measure, headline value, 90% interval, and (for an updated forecast) the
    scenario's central estimate before the data."""
    s = results.summary()
    c, mc = s["central"], s["monte_carlo"]
    sf = results.summary_frame()
    n = results.iterations
    sc = results.inputs.scenario
    h = results.headline()
    updated = h["basis"] == "updated" and results.update is not None

    def interval(lo: Any, hi: Any, f: Any) -> str:
        if not (_finite(lo) and _finite(hi)):
            return "n/a"
        return f"{f(lo)} to {f(hi)}"

    def payback(y: Any) -> str:
        return f"year {int(y)}" if _finite(y) else f"not within {_years(sc.horizon_years)}"

    if updated:
        assert results.update is not None
        d = results.update.posterior
        b = d.benefits[:, results.plan.headline]
        draws = {"costs": d.costs, "benefits": b, "npv": d.npv, "bcr": bcr_of(b, d.costs)}
        net_by_year = d.net_by_year

        def lohi(k: str) -> tuple[Any, Any]:
            x = np.asarray(draws[k], dtype=float)
            x = x[np.isfinite(x)]
            return (np.percentile(x, 5), np.percentile(x, 95)) if x.size else (None, None)
    else:
        net_by_year = results.draws.net_by_year

        def lohi(k: str) -> tuple[Any, Any]:
            if k in ("npv", "bcr"):
                return mc[k]["p5"], mc[k]["p95"]
            return sf.loc[k, "p5"], sf.loc[k, "p95"]

    pay = payback_years(net_by_year)
    share_pay = float(np.mean(np.isfinite(pay))) if pay.size else float("nan")
    rows = [
        ["Programme costs", money(h["costs"]), interval(*lohi("costs"), money)],
        [
            "Savings to public services (benefits)",
            money(h["benefits"]),
            interval(*lohi("benefits"), money),
        ],
        [
            "Net present value (savings minus costs)",
            money(h["npv"]),
            interval(*lohi("npv"), money),
        ],
        ["£ back for every £1 invested", per_pound(h["bcr"]), interval(*lohi("bcr"), per_pound)],
        [
            "Chance of breaking even (NPV above £0)",
            pct(h["prob_npv_positive"]),
            f"share of {n:,} simulations",
        ],
        [
            "Payback (net position back to £0)",
            payback(h["payback_years"]),
            f"within {_years(sc.horizon_years)} in {pct(share_pay)} of simulations",
        ],
    ]
    if updated:
        before = [
            money(c["costs"]),
            money(c["benefits"]),
            money(c["npv"]),
            per_pound(c["bcr"]),
            pct(mc["prob_npv_positive"]),
            payback(c["payback_years"]),
        ]
        rows = [[*r, b] for r, b in zip(rows, before, strict=True)]
    return rows


def _in_brief(results: Results) -> str:
    s = results.summary()
    c, mc = s["central"], s["monte_carlo"]
    sc = results.inputs.scenario
    parts = []
    if sc.description.strip():
        parts.append(" ".join(sc.description.split()))
    npv = c["npv"]
    net = "net gain" if _finite(npv) and npv >= 0 else "net cost"
    if not results.updated:  # an updated forecast has no central case (see the table)
        parts.append(
            f"In the central case the programme costs {money(c['costs'])} and saves public "
            f"services {money(c['benefits'])}, a {net} of "
            f"{money(abs(npv) if _finite(npv) else None)}."
        )
    lo, hi = mc["npv"]["p5"], mc["npv"]["p95"]
    if _finite(lo) and _finite(hi) and abs(hi - lo) <= 1e-9 * max(1.0, abs(hi)):
        parts.append(
            "No input is uncertain in this scenario, so every simulation gives the same result."
        )
    elif results.iterations > 1 and not results.updated:  # (the table has the updated one)
        h = results.headline()
        which = " updated with the programme's data" if results.updated else ""
        parts.append(
            f"Across {results.iterations:,} simulations{which} the net present value lies "
            f"between {money(h['npv_p5'])} and {money(h['npv_p95'])} nine times out of ten."
        )
    ag = results.by_agency()
    total = float(ag["central_benefits"].sum())
    if len(ag) and total > 0:
        top = ag["central_benefits"].idxmax()
        top_v = float(ag["central_benefits"].max())
        parts.append(
            f"{top} would see the largest saving ({money(top_v)}, {pct(top_v / total)} of the "
            f"total); {money(float(ag['cashable'].sum()))} of all savings could be released as "
            "cash."
        )
    bond = sib_summary(results)
    if bond is not None:
        net = bond["central"].get("commissioner_net_saving_pv")
        parts.append(
            "Under the social impact bond, after outcome payments to investors the "
            f"commissioner's net saving is {money(net)} in the central case."
        )
    return " ".join(parts)


def _counterfactual_text(
    mi: ModelInputs, results: Results | None = None, detail: bool = True
) -> str:
    """The counterfactual in words; service-by-service forms only with `detail` (page 1
    points to the method notes for them)."""
    est, source = _estimated_from_comparison(mi)
    if est:  # what the scenario's value rests on: say so first, in plain words
        text = (
            f"Method: for {_join(est)}, what the comparison group went on to use, month by "
            f"month after referral ({source}); for other services, {mi.counterfactual_method}."
        )
    else:
        text = f"Method: {mi.counterfactual_method}."
    method = mi.counterfactual_method.lower()
    trend = mi.trend
    if "trend" in method and "comparison group's" not in method:
        who = " For services not set one by one, w" if mi.forms is not None else " W"
        text += (
            f"{who}ithout the programme, {pct(trend.central)} of the clients' use of services "
            "at referral is assumed to fall away anyway"
        )
        if not trend.dist.is_fixed:
            lo = trend.transform(trend.dist.ppf(np.array([0.05])))[0]
            hi = trend.transform(trend.dist.ppf(np.array([0.95])))[0]
            text += f" (90% range {pct(lo)} to {pct(hi)})"
        ramp = mi.scenario.counterfactual.ramp_months
        text += f", over the first {ramp} months." if ramp else "."
    forms = _forms_text(mi, results)
    if detail:
        text += forms
    elif forms:
        text += " Some services are set one by one (see the method notes)."
    text += (
        " Savings are counted against this, not against the clients' use of services when "
        "they were referred."
    )
    return text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _estimated_from_comparison(mi: ModelInputs) -> tuple[list[str], str]:
    """What the per-service forms estimate from the comparison arm (the placement chain,
    services' monthly rates), in words, and the estimates' source ("estimated from N
    comparison clients"); nothing if the scenario states every form itself."""
    fm = mi.forms
    if fm is None:
        return [], ""
    est: list[str] = []
    source = ""
    if fm.chain is not None:
        got = [t.source for t in fm.chain.trans if t.source.startswith("estimated from")]
        if got:
            est.append("placements in care")
            source = got[0]
    names = _service_names(mi)
    for r in fm.rates:
        if r.values and r.values[0].source.startswith("estimated from"):
            service = mi.services[r.service]
            est.append(_short_description(names.get(service, service)).lower())
            source = source or r.values[0].source
    return est, source


def _care_share(results: Results) -> str:
    """', so that X% of client-months are spent in a placement' (central counterfactual)."""
    mi = results.inputs
    fm = mi.forms
    assert fm is not None and fm.chain is not None
    h = mi.horizon_months
    n = len(fm.chain.cut)
    months = sum(
        float(mi.intake[k]) / n * float(np.minimum(h - k, fm.chain.cut).sum())
        for k in range(len(mi.intake))
    )
    used = 0.0
    for s in fm.chain.state_service:
        if s >= 0:
            used += float(results.central.months.cf_use[0, s].sum()) / MONTH_IN_UNIT[mi.units[s]]
    if months <= 0:
        return ""
    return (
        f"; without the programme {pct(used / months)} of client-months (up to any age "
        "limit) would be spent in a placement"
    )


def _service_words(mi: ModelInputs, s: int) -> str:
    return mi.services[s].replace("_", " ")


def _forms_text(mi: ModelInputs, results: Results | None) -> str:
    """The per-service counterfactual forms and the placement chain, in plain words."""
    fm = mi.forms
    if fm is None:
        return ""
    parts: list[str] = []
    for r in fm.rates:
        name = _service_words(mi, r.service)
        if len(r.values) > 12:  # one value a month: estimated from the comparison arm
            parts.append(
                f"{name}: the comparison group's use, month by month after referral "
                f"({r.values[0].source})"
            )
            continue
        steps = [
            f"{v.central:.3g} a client-month from month {m}"
            for m, v in zip(r.from_months, r.values, strict=True)
        ]
        parts.append(f"{name}: {'; then '.join(steps)}, whatever the client's history")
    for s, t in enumerate(fm.trends):
        if t is not None and fm.kind[s] == 0:
            parts.append(f"{_service_words(mi, s)}: {pct(t.central)} of its use falls away")
    ch = fm.chain
    if ch is not None:
        sc = mi.scenario
        pl = sc.placements
        moves = ", ".join(
            f"{ch.states[a]} to {ch.states[b]} {pct(t.central)}"
            for a, b, t in zip(ch.trans_from, ch.trans_to, ch.trans, strict=True)
        )
        start = "as on their start date in the data" if (ch.start >= 0).all() else "as given"
        src = f" ({pl.source})" if pl is not None and pl.source else ""
        share = "" if results is None else _care_share(results)
        parts.append(
            f"placements follow a monthly chain of states ({', '.join(ch.states)}), starting "
            f"{start}; each month: {moves}{src}{share}"
        )
    ages = [a for a in fm.until_age if a is not None]
    if ages or (ch is not None and sc.placements is not None and sc.placements.until_age):
        parts.append(
            "children's services stop at the age limits set (no use after the birthday, in "
            f"either arm); {fm.clients_without_age} client(s) had no age and are not cut"
        )
    return " Service by service: " + "; ".join(parts) + "." if parts else ""


def edited_text(edits: tuple[str, ...], most: int = 6) -> str:
    """Page 1's line for a run of an edited workbook: how many inputs changed, and which."""
    n = len(edits)
    shown = "; ".join(e.replace(" -> ", " → ") for e in edits[:most])
    more = f"; and {n - most} more (all in summary.json)" if n > most else ""
    return (
        f"Edited: this run is of a workbook in which {n} input{'s' if n > 1 else ''} "
        f"changed after fam wrote it, so its results differ from the original report's: "
        f"{shown}{more}."
    )


def _page_one(doc: Doc, results: Results, run_date: str) -> None:
    mi = results.inputs
    sc = mi.scenario
    doc.new_page()
    doc.text(sc.name + (" (edited)" if mi.edits else ""), size=19, bold=True, after=0.04)
    doc.text(
        "Briefing for commissioners  ·  "
        + "  ·  ".join(
            part.replace(" ", "\u00a0")
            for part in (
                PROGRAMMES[sc.programme],
                f"{_years(sc.horizon_years)} from {_month_label(sc.start, 0)}",
                f"£ in {sc.price_base_year} prices",
                f"run {run_date}",
            )
        ),
        size=9.5,
        color=MUTED,
        after=0.22,
    )
    if mi.edits:
        doc.text(edited_text(mi.edits), size=9.5, color="#9C0006", after=0.12)
    if mi.synthetic:
        doc.text(synthetic_notice(mi.synthetic), size=9.5, bold=True, color=WARN, after=0.12)
    _headline_box(doc, headline_text(results))
    doc.heading("In brief")
    doc.text(_in_brief(results), size=9.5, after=0.1)
    updated = results.updated
    cols = (
        [
            Column("Measure", 0.36),
            Column("Updated forecast (mean)", 0.18, "right"),
            Column("90% interval (updated)", 0.26, "right"),
            Column("Before the data (central)", 0.2, "right"),
        ]
        if updated
        else [
            Column("Measure", 0.47),
            Column("Central estimate", 0.19, "right"),
            Column("90% interval (5th to 95th percentile)", 0.34, "right"),
        ]
    )
    note = (
        "Updated: the mean of the simulations weighted by the programme's own follow-up "
        "(£ back per £1 = mean savings ÷ mean costs). Before the data: every input at its "
        f"central value. 90% interval: nine in ten of the {results.iterations:,} simulations."
        if updated
        else "Central estimate: every input at its central value. 90% interval: nine in ten "
        f"of the {results.iterations:,} Monte Carlo simulations fall in this range."
    )
    doc.table(
        f"Key figures (present values, {sc.price_base_year} prices, "
        f"{PERSPECTIVE_DESCRIPTION[sc.perspective].split(' (')[0]} perspective)",
        cols,
        _key_rows(results),
        size=9.5,
        bold_first=True,
        note=note,
    )
    strength, why = EVIDENCE[sc.programme]
    doc.heading(f"Strength of the evidence: {strength}", size=11.5)
    doc.text(why, size=9.5, after=0.1)
    doc.heading("What would have happened anyway (the counterfactual)", size=11.5)
    doc.text(_counterfactual_text(mi, results, detail=False), size=9.5, after=0.1)
    notes = _data_notes(mi, analyst=False)[1:]  # the caveats; the method notes say the rest
    if notes:
        doc.text(" ".join(notes), size=9.5)


def _data_notes(mi: ModelInputs, analyst: bool) -> list[str]:
    """What the cohort data can and cannot say: for a commissioner on page 1, with what to
    change in the scenario (`analyst`) in the method notes."""
    sc = mi.scenario
    notes = [
        f"The projections are built from the service-use records of the "
        f"{mi.n_data_clients:,} clients in the data, scaled to a cohort of {mi.size:,}."
    ]
    short = int(mi.data_notes.get("clients_with_short_history", 0) or 0)
    if short:
        notes.append(
            f"For {short:,} of these clients the records begin less than "
            f"{sc.cohort.baseline_months} months before referral; their use of services "
            "before the programme is a rate over the months recorded."
        )
    unsure = int(mi.data_notes.get("clients_window_before_first_record", 0) or 0)
    if unsure:
        notes.append(
            f"For {unsure:,} clients the records may not reach back the full "
            f"{sc.cohort.baseline_months} months before referral, so their use of services "
            "before the programme may be understated"
            + (
                " (to adjust, state the date the records begin as cohort.history_from in the "
                "scenario)."
                if analyst
                else "."
            )
        )
    return notes


# ---------------------------------------------------------------------------- figures


def _money_label(sc: Any) -> str:
    return f"£, present value ({sc.price_base_year} prices)"


def _fan(doc: Doc, results: Results) -> None:
    sc = results.inputs.scenario
    caption = (
        "Savings minus programme costs to date, discounted. Below the dotted line the "
        "programme has cost more than it has saved so far; where the line crosses it, the "
        "programme has paid back. Bands show the spread across simulations."
    )
    if results.updated:  # the headline's basis: the updated simulations and their mean
        assert results.update is not None
        nby = results.update.posterior.net_by_year
        central_cum = np.r_[0.0, np.cumsum(nby.mean(axis=0))]
        pay = results.headline()["payback_years"]
        caption += (
            " Updated with the programme's own follow-up: the 'central case' line is the "
            "mean of the updated simulations."
        )
    else:
        nby = results.draws.net_by_year
        central_cum = np.r_[0.0, results.by_year()["cumulative_net"].to_numpy(dtype=float)]
        pay = results.central.payback_years
    cum = np.concatenate([np.zeros((nby.shape[0], 1)), np.cumsum(nby, axis=1)], axis=1)
    ax = doc.figure(
        "Cumulative net position by year",
        caption,
        height=4.1,
        bottom=0.85,
    )
    charts.fan_chart(
        ax,
        cum,
        central_cum,
        f"Years from the start of the appraisal ({_month_label(sc.start, 0)})",
        f"Cumulative net position\n{_money_label(sc)}",
        pay if _finite(pay) else None,
    )


def _bcr(doc: Doc, results: Results) -> None:
    h = results.headline()
    if results.updated:  # the headline's basis: the updated simulations
        assert results.update is not None
        d = results.update.posterior
        x = np.asarray(bcr_of(d.benefits[:, results.plan.headline], d.costs), dtype=float)
    else:
        x = np.asarray(results.bcr, dtype=float)
    if not np.isfinite(x).any():
        doc.text(
            "The distribution of £ back per £1 is not shown: programme costs are zero in "
            "every simulation.",
            size=9.5,
            color=MUTED,
        )
        return
    caption = (
        "How often each return comes up across the simulations. Bars to the right of the "
        "dashed line pay for themselves."
    )
    if np.ptp(x[np.isfinite(x)]) < 1e-9:
        caption += " Every simulation gives the same value: no input in this scenario is uncertain."
    if results.updated:
        caption += (
            " Updated with the programme's own follow-up: the 'central estimate' line is the "
            "updated mean savings ÷ mean costs."
        )
    ax = doc.figure("How sure are we? £ back for every £1", caption, height=3.7, left=0.8)
    charts.bcr_histogram(ax, x, h["bcr"], h["prob_npv_positive"])


def _agencies(doc: Doc, results: Results) -> None:
    """Who invests, who saves: the agency ledger (fam.analyses.ledger) as a table a board
    member reads across, and a chart of what each agency puts in, gets back and nets."""
    sc = results.inputs.scenario
    lg = results.ledger_frame()
    persp = PERSPECTIVE_DESCRIPTION[sc.perspective].split(" (")[0]
    doc.heading("Who invests, who saves")
    funders = sc.programme_costs.funders
    said = " and ".join(f"{a} ({pct(s)})" for a, s in funders.items())
    bond = results.sib
    text = (
        f"Central case, £ present value at {sc.price_base_year} prices, {persp} perspective. "
        f"The programme's costs are paid by {said}"
    )
    if bond is not None:
        c = bond.central
        inv = float(lg.loc[INVESTORS, "programme_cost"]) if INVESTORS in lg.index else 0.0
        text += (
            f", except what the bond's investors fund ({money(inv)}; "
            f"{money(c['investor_drawdown'])} drawn down in cash, as the bond's pages count "
            f"it). Outcome payments ({money(c['outcome_payments_pv'])}) pass from the payers to "
            "the investors and add nothing to the total"
        )
    text += (
        ". Net = savings − cost ± payments; the nets add up to the net present value. An "
        "agency that pays but does not save is the 'wrong pocket' problem."
    )
    doc.text(text, size=9.5, after=0.1)
    rows = []
    for name, r in lg.iterrows():
        ret = r["return_per_pound"]
        rows.append(
            [
                str(name),
                money(r["programme_cost"]) if r["programme_cost"] else "–",
                money(r["transfers"], signed=True) if r["transfers"] else "–",
                money(r["savings"]) if r["savings"] else "–",
                money(r["cashable"]) if r["cashable"] else "–",
                money(r["net"], signed=True),
                per_pound(ret) if np.isfinite(ret) else "–",
                pct(r["prob_net_positive"]),
            ]
        )
    tot = lg.sum(numeric_only=True)
    rows.append(
        [
            "All agencies",
            money(tot["programme_cost"]),
            money(tot["transfers"], signed=True) if bond is not None else "–",
            money(tot["savings"]),
            money(tot["cashable"]),
            money(tot["net"], signed=True),
            per_pound(float(results.central_headline()["bcr"])),
            pct(float(np.mean(results.npv > 0))),
        ]
    )
    doc.table(
        "Who invests, who saves (central case, £ present value)",
        [
            Column("Agency", 0.24),
            Column("Cost", 0.1, "right"),
            Column("Outcome payments", 0.13, "right"),
            Column("Savings", 0.1, "right"),
            Column("of which cashable", 0.11, "right"),
            Column("Net position", 0.11, "right"),
            Column("£ back per £1", 0.09, "right"),
            Column("Chance net > 0", 0.11, "right"),
        ],
        rows,
        size=8.5,
        bold_first=True,
        note=(
            "Cost: the agency's share of the programme's costs. £ back per £1: savings and "
            "payments received per £1 of cost and payments made ('–': it puts nothing in). "
            f"Chance net > 0: share of the {results.iterations:,} simulations in which the "
            "agency comes out ahead."
        ),
    )
    put_in = lg["programme_cost"] + np.maximum(-lg["transfers"], 0.0)
    back = lg["savings"] + np.maximum(lg["transfers"], 0.0)
    ax = doc.figure(
        "Who invests, who saves",
        "Central case. Left: what each agency puts in; right: what comes back (the dark "
        "hatched part is savings that could be released as cash); diamond: its net position.",
        height=max(2.9, 0.32 * (len(lg) + 1) + 1.3),
        left=1.75,
        right=0.1,
        bottom=0.95,
    )
    charts.ledger_chart(
        ax,
        [str(a) for a in lg.index],
        put_in.tolist(),
        back.tolist(),
        lg["cashable"].tolist(),
        lg["net"].tolist(),
        f"Puts in (left) and gets back (right), {_money_label(sc)}",
    )


def _sensitivity(results: Results) -> pd.DataFrame | None:
    if results.sensitivity is None:
        return None
    frame = results.sensitivity.tornado
    if frame is None or len(frame) == 0:
        return None
    return frame


def _tornado(doc: Doc, results: Results, frame: pd.DataFrame, top: int = 8) -> None:
    sc = results.inputs.scenario
    mi = results.inputs
    central = float(frame.attrs.get("npv_central", results.central.npv))
    moving = frame[frame["swing"].astype(float) > 0]
    if len(moving) == 0:
        return
    shown = moving.head(top)
    more = len(moving) - len(shown)
    caption = (
        "The net present value with one input at its 10th or 90th percentile (value at the "
        "bar end) and every other input at its central value."
    )
    if results.updated:  # the headline is the updated forecast; this chart is not
        caption = (
            "The scenario as written, before the programme's own follow-up updated it: "
            + caption[0].lower()
            + caption[1:]
        )
    n = len(frame)  # every uncertain input (one definition: fam.analyses.sensitivity.uncertain)
    if more > 0 or n > len(shown):
        still = n - len(moving)
        caption += (
            f" The {len(shown)} that matter most of the {n} uncertain inputs; the other "
            f"{n - len(shown)} move it less" + (f" ({still} not at all)." if still else ".")
        )
    ax = doc.figure(
        "What matters most: the inputs that move the net present value",
        caption,
        height=0.42 * len(shown) + 1.45,
        left=2.25,
        right=0.1,
        bottom=0.85,
    )
    charts.tornado_chart(
        ax,
        shown,
        central,
        lambda name, label: plain_label(mi, name, label),
        lambda name, v: _value(name, v),
        f"Net present value, {_money_label(sc)}",
    )


def _what_to_research(doc: Doc, results: Results) -> None:
    """The break-even curve, switching values and value of information (own page)."""
    if results.sensitivity is None:
        return
    mi = results.inputs
    sensitivity_page(
        doc,
        results,
        lambda name, label: plain_label(mi, name, label),
        lambda name, v: _value(name, v),
    )


# ---------------------------------------------------------------------------- tables


def _shown_inputs(mi: ModelInputs) -> list[Input]:
    out = []
    for inp in mi.uncertain_inputs():
        if inp.name.startswith("unit_cost."):
            continue  # shown with the unit costs
        zero = inp.dist.is_fixed and inp.central == 0
        if inp.name.startswith(("programme_costs.", "additionality.")) and zero:
            continue  # none (method notes say so for additionality)
        out.append(inp)
    return out


def _range(inp: Input) -> str:
    if inp.dist.is_fixed:
        return "fixed"
    lo, hi = inp.transform(inp.dist.ppf(np.array([0.05, 0.95])))
    return f"{_value(inp.name, lo)} to {_value(inp.name, hi)}"


def _distribution(inp: Input, pby: str) -> str:
    d = inp.dist.describe()
    if abs(inp.factor - 1.0) > 1e-12:
        py = inp.dist.price_year or "stated"
        d += f" in {py} prices, ×{inp.factor:.3f} to {pby}"
    return d


GROUP_MIN = 5  # inputs of one family estimated from data: shown as one row from this many


def _family(inp: Input) -> str | None:
    """The family of an input estimated from the comparison arm (one service's monthly rates,
    or the placement chain's moves), or None for an input stated in the scenario."""
    if not inp.source.startswith("estimated from "):
        return None
    if ".rate." in inp.name:
        return inp.name.split(".rate.")[0]
    if inp.name.startswith("placements.transitions."):
        return "placements.transitions"
    return None


def _family_row(mi: ModelInputs, family: str, group: list[Input]) -> list[str]:
    """One row for a family of estimated inputs: what they are, the span of their central
    values, how each is drawn, and where each is listed."""
    names = _service_names(mi)
    where = "Calculations"  # a rate's rows
    if family == "placements.transitions":
        what = f"Monthly chances of moving between placements ({len(group)} moves)"
        where = "Placements"
    else:
        service = family.split(".")[-1]
        what = (
            f"{names.get(service, service)}: use per client in each month after referral "
            f"({len(group)} months)"
        )
    centrals = [inp.central for inp in group]
    span = f"{number(min(centrals))} to {number(max(centrals))}"
    kinds = sorted({inp.dist.describe().split("(")[0].strip() for inp in group})
    kinds = ["fixed" if k[:1].isdigit() else k for k in kinds]
    return [
        f"{what}, comparison arm",
        span,
        "each drawn",
        f"{' or '.join(sorted(set(kinds)))}, one per value, from the counts observed",
        f"{group[0].source}; each value is in the workbook ({where} sheet)",
    ]


def input_rows(mi: ModelInputs) -> list[list[str]]:
    """The assumptions table's rows: input, central, 90% range, distribution, source; a
    family of inputs estimated from the comparison arm is one row (`_family_row`)."""
    pby = mi.scenario.price_base_year
    shown = _shown_inputs(mi)
    families: dict[str, list[Input]] = {}
    for inp in shown:
        fam_key = _family(inp)
        if fam_key is not None:
            families.setdefault(fam_key, []).append(inp)
    grouped = {k: v for k, v in families.items() if len(v) >= GROUP_MIN}
    rows = []
    for inp in shown:
        fam_key = _family(inp)
        if fam_key in grouped:
            if inp is grouped[fam_key][0]:  # the family's row, where its first member was
                rows.append(_family_row(mi, fam_key, grouped[fam_key]))
            continue
        rows.append(
            [
                plain_label(mi, inp.name, inp.label),
                _value(inp.name, inp.central),
                _range(inp),
                _distribution(inp, pby),
                shorten(inp.source, 240) if inp.source.strip() else "not stated",
            ]
        )
    return rows


def _inputs_table(doc: Doc, results: Results) -> None:
    mi = results.inputs
    pby = mi.scenario.price_base_year
    rows = input_rows(mi)
    doc.table(
        "Assumptions: programme effects, costs and engagement",
        [
            Column("Input", 0.24),
            Column("Central", 0.1, "right"),
            Column("90% range", 0.15),
            Column("Distribution", 0.19),
            Column("Source", 0.32),
        ],
        rows,
        size=8,
        note=(
            "Central value = the mean of the distribution, in "
            f"{pby} prices for money. Changes in use are relative to the counterfactual "
            "(-25% = a quarter less use than would have happened anyway). " + SOURCES_KEY
        ),
    )


def _unit_cost_table(doc: Doc, results: Results) -> None:
    mi = results.inputs
    pby = mi.scenario.price_base_year
    rows = []
    for r in mi.cost_rows.itertuples():
        lo, hi = r.low_uprated, r.high_uprated
        rng = (
            f"{money_exact(lo)} to {money_exact(hi)}"
            if pd.notna(lo) and pd.notna(hi) and hi > lo
            else "fixed"
        )
        vt = "" if r.value_type == "fiscal" else f" ({r.value_type} value)"
        cash = float(r.cashable) if pd.notna(r.cashable) else 0.0
        who = f"{shorten(str(r.description), 90)}{vt}\n{r.agency}; {pct(cash)} cashable"
        src = (
            f"{money_exact(float(r.cost))} in {r.price_year} prices. {shorten(str(r.source), 170)}"
        )
        rows.append([who, str(r.unit), money_exact(float(r.cost_uprated)), rng, src])
    doc.table(
        f"Unit costs used (£ per unit, {pby} prices)",
        [
            Column("Service and who saves", 0.3),
            Column("Unit", 0.08),
            Column(f"£ per unit ({pby})", 0.11, "right"),
            Column("Range in simulations", 0.14),
            Column("Published figure and source", 0.37),
        ],
        rows,
        size=8,
        note=(
            f"Uprated to {pby} prices with the {mi.deflators.release}. Sources are shortened; "
            "the workbook gives each in full. " + SOURCES_KEY
        ),
    )


# ---------------------------------------------------------------------------- method notes


def _additionality_text(mi: ModelInputs) -> str:
    a, d = mi.attribution, mi.displacement
    if a.dist.is_fixed and d.dist.is_fixed and a.central == 0 and d.central == 0:
        return "No attribution or displacement is assumed: every saving is the programme's own."
    return (
        f"Each is × (1 − attribution) × (1 − displacement): attribution {pct(a.central)} (the "
        f"share due to other services), displacement {pct(d.central)} (the share moved "
        f"elsewhere), so {pct((1 - a.central) * (1 - d.central))} of each saving counts in the "
        "central case."
    )


def _method_notes(doc: Doc, results: Results, run_date: str) -> None:
    mi = results.inputs
    sc = mi.scenario
    rate = sc.discounting.rate
    schedule = (
        "stepping down after year 30 on the HM Treasury Green Book schedule"
        if sc.discounting.schedule == "green_book"
        else "constant"
    )
    ob = mi.optimism_bias
    if sc.optimism_bias.apply:
        grades = sorted({int(g) for g in mi.cost_rows["confidence"]})
        used = ", ".join(f"grade {g}: {pct(ob[g]['benefits'])}" for g in grades)
        opt = (
            "Applied. Each saving is reduced, and programme costs raised, by a share that "
            "depends on the confidence grade of its source (1 = audited, local and recent; "
            f"6 = expert guess). Savings reduced by {used}; programme costs raised by "
            f"{pct(results.plan.ob_cost)} (grade {sc.programme_costs.confidence}). The "
            "percentages follow the GMCA cost-benefit guidance as commonly reproduced; they "
            "were not verified against the original."
        )
    else:
        opt = "Not applied in this scenario: costs and savings are as entered."
    definitions = [
        [
            "Present value (PV)",
            f"Money in appraisal year y (year 0 is the first 12 months from "
            f"{_month_label(sc.start, 0)}) is divided by (1 + r)^y, with r = {rate:.1%} "
            f"({schedule}). Year 0 is not discounted.",
        ],
        [
            "Benefits (savings)",
            "The present value of savings to public services: the cost of the services "
            "clients would have used without the programme (the counterfactual) minus the "
            "cost of the services they use with it, priced with the unit costs above. "
            + _additionality_text(mi),
        ],
        ["Costs", "The present value of programme costs."],
        [
            "Net present value (NPV)",
            "Benefits minus costs. Above £0, the programme saves more than it costs.",
        ],
        [
            "£ back for every £1",
            "The benefit-cost ratio (BCR): benefits ÷ costs. Return on investment (ROI) = BCR - 1.",
        ],
        [
            "Payback",
            "The first appraisal year by whose end the cumulative discounted net position "
            "(savings minus costs to date) is £0 or more; 'not within N years' if never.",
        ],
        [
            "Chance of breaking even",
            "The share of Monte Carlo simulations with a net present value above £0.",
        ],
        [
            "Perspectives",
            "Fiscal counts savings to public budgets; fiscal cashable only the share that can "
            "be released as cash (for example when a placement or bed is closed); public value "
            "adds economic and social value (not transfers such as benefit payments). This "
            "briefing uses the "
            f"{PERSPECTIVE_DESCRIPTION[sc.perspective]} perspective.",
        ],
        ["Optimism bias", opt],
        ["Counterfactual", _counterfactual_text(mi, results)],
        [
            "Data",
            " ".join(_data_notes(mi, analyst=True))
            + (f" The cohort files say: {mi.synthetic}." if mi.synthetic else ""),
        ],
        [
            "Price base year",
            f"All £ are in {sc.price_base_year} prices, uprated with the {mi.deflators.release}.",
        ],
        [
            "Monte Carlo and central estimate",
            f"{results.iterations:,} simulations. Each draws every uncertain input once, "
            "resamples the cohort from the clients in the data and adds chance variation in "
            "counts of events. The central estimate uses every input at its central value "
            "(the mean) and expected counts; the workbook's formulas recompute it. It can "
            "differ from the median simulation.",
        ],
    ]
    doc.need(3.0)  # below the unit costs when there is room: no page of one table's end
    doc.heading("Method notes", size=13)
    doc.table(
        "Definitions used in this briefing",
        [Column("Term", 0.24), Column("Meaning", 0.76)],
        definitions,
        size=8.5,
        bold_first=True,
    )
    s = results.summary()
    hashes = "\n".join(f"{k.replace('_', ' ')}: {v[:12]}…" for k, v in s["inputs_sha256"].items())
    doc.table(
        "Provenance",
        [Column("Item", 0.3), Column("Value", 0.7)],
        [
            ["Scenario", f"{sc.name} ({mi.scenario_path.name})"],
            [
                "Run",
                f"fam {s['fam_version']}; seed {s['seed']}; {s['iterations']:,} Monte Carlo "
                f"iterations; run on {run_date}",
            ],
            ["Price base year", str(s["price_base_year"])],
            ["Input hashes (SHA-256, first 12 characters)", hashes],
        ],
        size=8.8,
        bold_first=True,
        note="The same inputs and seed give identical results; summary.json has the full hashes.",
    )


# ---------------------------------------------------------------------------- writers


def _save_all(doc: Doc, path: Path, title: str, creator: str) -> int:
    meta = {"Title": title, "Creator": creator, "CreationDate": None}
    with PdfPages(path, metadata=meta) as pdf:
        return doc.finish(lambda fig: pdf.savefig(fig))


def build_briefing(results: Results, run_date: str) -> Doc:
    """Lay out every page of the briefing (not yet written)."""
    sc = results.inputs.scenario
    edited = " (edited)" if results.inputs.edits else ""
    doc = Doc(footer=f"{sc.name}{edited}  ·  fam briefing")
    _page_one(doc, results, run_date)
    # the figures start on page 2, or, when page 1 ran over, below its end; from there each
    # figure follows the one before and starts a page only when it does not fit (no page
    # is left holding one spilled paragraph or one small figure)
    if len(doc.pages) == 1:
        doc.new_page()
    _fan(doc, results)
    _bcr(doc, results)
    _agencies(doc, results)
    frame = _sensitivity(results)
    if frame is not None:
        _tornado(doc, results, frame)
    sib_section(doc, results, _service_names(results.inputs))
    update_section(doc, results, _service_names(results.inputs))
    _what_to_research(doc, results)
    doc.new_page()
    doc.heading("Assumptions and sources", size=13)
    _inputs_table(doc, results)
    _unit_cost_table(doc, results)
    _method_notes(doc, results, run_date)
    return doc


def write_briefing(results: Results, path: Path, *, run_date: _dt.date | None = None) -> int:
    """Write the PDF briefing for one scenario; return the number of pages."""
    from fam.version import __version__

    date = (run_date or _dt.date.today()).isoformat()
    with house_style():
        doc = build_briefing(results, date)
        return _save_all(doc, Path(path), results.name, f"fam {__version__}")
