"""The social impact bond section of the briefing, drawn only when the results carry a bond.

`results.sib` (fam.analyses.sib.SibResults) gives the contract terms, the central case and the
Monte Carlo distribution of outcome payments, the investors' return and the commissioner's
net saving, and the payments measured against fam's own counterfactual as well as against the
contract's comparison (the difference is what is paid for days that are not additional). When
it is None (no `sib:` in the scenario) nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from matplotlib.axes import Axes

from fam.writers.briefing_style import (
    GREEN,
    INK,
    MONEY_AXIS,
    SKY,
    VERMILLION,
    Column,
    Doc,
    money,
    number,
    pct,
    style_axes,
    wrap,
)

if TYPE_CHECKING:
    from fam.analyses.results import Results


def _multiple(x: Any) -> str:
    return "n/a" if x is None else f"{float(x):.2f}×"


def _get(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, Mapping) or k not in d:
            return None
        d = d[k]
    return d


def sib_summary(results: Results) -> dict[str, Any] | None:
    """The bond's summary dict, or None when the results have no bond."""
    sib = getattr(results, "sib", None)
    if sib is None or not callable(getattr(sib, "summary", None)):
        return None
    s = sib.summary()
    if not isinstance(s, Mapping) or not {"terms", "central", "monte_carlo"} <= set(s):
        return None
    return dict(s)


def _terms_text(results: Results, s: Mapping[str, Any], names: Mapping[str, str]) -> str:
    t = s["terms"]
    pby = results.inputs.scenario.price_base_year
    services = [names.get(x, x) for x in t.get("outcome_services") or []]
    what = "; ".join(services) if services else "the outcome services"
    lag = t.get("payment_lag_quarters")
    lag_text = f", paid {number(lag)} quarter{'s' if lag != 1 else ''} in arrears" if lag else ""
    cap = t.get("cap")
    cap_text = f", with total payments capped at {money(cap)}" if cap is not None else ""
    comp = t.get("comparison")
    written = t.get("comparison_as_written")
    if comp == "counterfactual":
        against = "fam's own counterfactual (the same clients without the programme)"
    else:
        share = _get(written, "share_of_days") if isinstance(written, Mapping) else None
        of_days = f" ({pct(share)} of client-days)" if share is not None else ""
        against = f"a comparison rate of {number(comp)} days per client per month{of_days}"
    return (
        f"Investors put up {money(t.get('investor_capital'))} to fund the programme. The "
        f"commissioner pays them {money(t.get('price_per_day'))} for each day in care saved "
        f"({what}), measured against {against} over the "
        f"{number(t.get('tracking_months'))} months after each "
        f"{number(t.get('cohort_months'))}-monthly intake cohort starts{lag_text}, for "
        f"{number(t.get('payment_years'))} years{cap_text}. All sums are in {pby} prices; "
        "programme costs beyond the investors' capital fall to the commissioner."
    )


def _rows(s: Mapping[str, Any]) -> list[list[str]]:
    c, mc = s["central"], s["monte_carlo"]

    def row(label: str, key: str, f: Callable[[Any], str]) -> list[str]:
        lo, hi = _get(mc, key, "p5"), _get(mc, key, "p95")
        interval = f"{f(lo)} to {f(hi)}" if lo is not None and hi is not None else "n/a"
        return [label, f(c.get(key)), interval]

    def days(x: Any) -> str:
        return "n/a" if x is None else f"{float(x):,.0f}"

    return [
        row("Days in care saved (in the tracking windows)", "outcome_days_saved", days),
        row("Outcome payments to investors (present value)", "outcome_payments_pv", money),
        row(
            "Days paid for: against the contract's comparison",
            "outcome_days_paid_vs_contract",
            days,
        ),
        row(
            "Days paid for: against fam's counterfactual (additional days)",
            "outcome_days_paid_vs_counterfactual",
            days,
        ),
        row(
            "Outcome payments if paid against fam's counterfactual (present value)",
            "outcome_payments_pv_vs_counterfactual",
            money,
        ),
        row(
            "Paid for days that are not additional: care that would have been avoided "
            "anyway (present value)",
            "payments_for_days_not_additional_pv",
            money,
        ),
        row(
            "Programme costs the commissioner pays itself (present value)",
            "commissioner_programme_costs_pv",
            money,
        ),
        row(
            "Commissioner's net saving after outcome payments (present value)",
            "commissioner_net_saving_pv",
            money,
        ),
        row("Investors' money back per £1 put in", "investor_multiple", _multiple),
        row("Investors' annual rate of return (IRR)", "investor_irr", lambda x: pct(x, True)),
        [
            "Chance investors get back less than they put in",
            pct(mc.get("prob_investor_loss")),
            "",
        ],
        ["Chance the cap on payments is reached", pct(mc.get("prob_cap_binds")), ""],
    ]


def _waterfall(ax: Axes, c: Mapping[str, Any], xlabel: str) -> None:
    items = [
        ("Fiscal savings to public services", c.get("fiscal_benefits_pv"), SKY, ""),
        ("Outcome payments to investors", -(c.get("outcome_payments_pv") or 0.0), VERMILLION, "xx"),
        (
            "Programme costs the commissioner pays",
            -(c.get("commissioner_programme_costs_pv") or 0.0),
            VERMILLION,
            "..",
        ),
        ("Commissioner's net saving", c.get("commissioner_net_saving_pv"), GREEN, "//"),
    ]
    vals = [float(v or 0.0) for _, v, _, _ in items]
    # running position: savings, then each outgoing from what is left, then the net from 0
    lefts = [0.0, vals[0] + vals[1], vals[0] + vals[1] + vals[2], 0.0]
    widths = [vals[0], -vals[1], -vals[2], vals[3]]
    y = list(range(len(items)))[::-1]
    span = max(max(abs(v) for v in vals), 1.0)
    for yi, (_label, _v, colour, hatch), left, w, v in zip(
        y, items, lefts, widths, vals, strict=True
    ):
        ax.barh(
            [yi], [w], left=[left], height=0.6, color=colour, hatch=hatch, edgecolor=INK, lw=0.5
        )
        end = max(left, left + w)
        ax.text(
            end + 0.015 * span, yi, money(v, signed=v < 0), va="center", ha="left", fontsize=8.5
        )
    ax.axvline(0, color=INK, lw=0.8)
    lo = min(0.0, *lefts, *(a + b for a, b in zip(lefts, widths, strict=True)))
    hi = max(0.0, *lefts, *(a + b for a, b in zip(lefts, widths, strict=True)))
    ax.set_xlim(lo - 0.05 * span, hi + 0.25 * span)
    ax.set_yticks(y, ["\n".join(wrap(label, 24)) for label, _, _, _ in items])
    ax.xaxis.set_major_formatter(MONEY_AXIS)
    ax.set_xlabel(xlabel)
    style_axes(ax)
    ax.grid(axis="y", visible=False)


def sib_section(doc: Doc, results: Results, service_names: Mapping[str, str]) -> bool:
    """Draw the bond's page(s); return False (drawing nothing) when there is no bond."""
    s = sib_summary(results)
    if s is None:
        return False
    pby = results.inputs.scenario.price_base_year
    doc.new_page()
    doc.heading("Social impact bond", size=13)
    doc.text(_terms_text(results, s, service_names), size=9.5, after=0.12)
    doc.table(
        "Social impact bond: key figures",
        [
            Column("Measure", 0.46),
            Column("Central estimate", 0.2, "right"),
            Column("90% interval", 0.34, "right"),
        ],
        _rows(s),
        size=9,
        bold_first=True,
        note=(
            "The commissioner's net saving counts all fiscal savings of the main appraisal, "
            "less outcome payments and the programme costs the investors do not fund. "
            "Investors' return compares outcome payments with the capital they put in "
            "(not discounted). Payments against fam's counterfactual price only the days the "
            "programme itself saves; the contract's payments less these are paid for days "
            "that are not additional (negative if the contract's comparison is below the "
            "counterfactual)."
        ),
    )
    ax = doc.figure(
        "Where the savings go under the bond (central case)",
        "Fiscal savings, less what the commissioner pays investors and the programme costs "
        "it funds itself, leave the commissioner's net saving.",
        height=2.9,
        left=1.75,
    )
    _waterfall(ax, s["central"], f"£, present value ({pby} prices)")
    return True
