"""Notices every output repeats in the same words: synthetic data, an updated forecast."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fam.analyses.results import Results


def synthetic_notice(marker: str) -> str:
    """What page 1 of the briefing and the workbook's cover say when the cohort files mark
    themselves as synthetic (`marker`, their own comment line; the method notes quote it)."""
    return (
        "Synthetic data: the clients are invented, not real people. The figures show how the "
        "method works; they are not evidence about any real service."
    )


def updated_notice(results: Results) -> str:
    """The workbook's line for a forecast updated with observed follow-up: the updated
    headline (summary.json `headline`) beside the scenario as written (`prior`)."""

    def gbp(x: float | None) -> str:
        return "n/a" if x is None else f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"

    def ratio(x: float | None) -> str:
        return "n/a" if x is None else f"£{x:.2f}"

    h, p = results.headline(), results.prior_headline()
    return (
        "Headline, updated with the programme's own follow-up (update.json): mean NPV "
        f"{gbp(h['npv'])} (90% interval {gbp(h['npv_p5'])} to {gbp(h['npv_p95'])}), "
        f"{ratio(h['bcr'])} back per £1, chance of breaking even {h['prob_npv_positive']:.0%}. "
        f"Before the data (the scenario as written: the live figures on this sheet): NPV "
        f"{gbp(p['npv'])}, {ratio(p['bcr'])} back per £1, chance of breaking even "
        f"{p['prob_npv_positive']:.0%}."
    )
