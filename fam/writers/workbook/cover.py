"""The Cover sheet: what was run, the master check, the headline, a guide to the sheets."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from fam.version import __version__
from fam.writers.notices import synthetic_notice, updated_notice
from fam.writers.workbook.layout import NOT_WITHIN, val

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.layout import Run


def write_cover(bk: Book, ws: Worksheet, run: Run, master_check: str) -> None:
    """Scenario, run details, the master check, the headline and a guide to the sheets."""
    res, sc = run.res, run.sc
    s = res.summary()
    edited = run.mi.edits
    bk.string(ws, 0, 0, f"fam: {sc.name}" + (" (EDITED inputs)" if edited else ""), bk.title)
    bk.string(ws, 1, 0, sc.description, bk.wrap)
    if run.mi.synthetic:
        warn = bk.wb.add_format({"bold": True, "font_color": "#9C0006"})
        bk.string(ws, 2, 0, synthetic_notice(run.mi.synthetic), warn)
    rows: list[tuple[str, Any, Format | None]] = [
        ("Scenario", sc.name, None),
        ("Scenario file", str(run.mi.scenario_path), None),
        ("fam version", __version__, None),
        ("Run date (UTC)", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"), None),
        ("Seed", res.seed, bk.int),
        ("Iterations", res.iterations, bk.int),
        ("Price base year", sc.price_base_year, None),
        ("Headline perspective", sc.perspective, None),
        ("Counterfactual", run.mi.counterfactual_method, None),
    ]
    if edited:
        rows.append(
            (
                "Edited",
                f"{len(edited)} input(s) changed in the workbook this run was read from, since "
                "fam wrote it: " + "; ".join(edited),
                None,
            )
        )
    r = 3
    for label, v, fmt in rows:
        ws.write(r, 0, label, bk.bold)
        if isinstance(v, str):
            bk.string(ws, r, 1, v, bk.wrap if label == "Edited" else None)
        else:
            ws.write_number(r, 1, v, fmt)
        r += 1
    r += 1
    ws.write(r, 0, "MASTER CHECK (1 = all checks pass)", bk.bold)
    ws.write_formula(r, 1, f"={master_check}", bk.check, 1)
    green = bk.wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100", "bold": True})
    red = bk.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
    ws.conditional_format(
        r, 1, r, 1, {"type": "cell", "criteria": "==", "value": 1, "format": green}
    )
    ws.conditional_format(r, 1, r, 1, {"type": "cell", "criteria": "!=", "value": 1, "format": red})
    if run.mi.forms is not None:
        r += 1
        ws.write(
            r,
            0,
            "This scenario sets what would have happened anyway service by service "
            "(counterfactual.services, placements: rows on the Inputs sheet; the chain runs on "
            "the Placements sheet). A rate's steps are copied to Calculations as values: edit "
            "the Inputs row and run this workbook with fam run.",
            bk.note,
        )
    r += 2
    ws.write(r, 0, "Headline (central case, live)", bk.section)
    r += 1
    head = res.central_headline()
    for label, name, v, fmt in (
        ("Net present value", "out_npv", head["npv"], bk.out_money),
        ("£ back for every £1", "out_bcr", head["bcr"], bk.out_ratio),
        ("Payback (years)", "out_payback_years", head["payback_years"], bk.int),
    ):
        ws.write(r, 0, label, bk.bold)
        if v is None or v != v:
            v = NOT_WITHIN if name == "out_payback_years" else "n/a"
        ws.write_formula(r, 1, f"={name}", fmt, val(v))
        r += 1
    ws.write(r, 0, "Chance of breaking even (Monte Carlo)", bk.bold)
    ws.write_number(r, 1, s["monte_carlo"]["prob_npv_positive"], bk.v_pct)
    if res.updated:
        r += 1
        bk.string(ws, r, 0, updated_notice(res), bk.bold)
    r += 2
    ws.write(r, 0, "Input hashes (SHA-256 of canonical content)", bk.section)
    r += 1
    for k, v in sorted(res.inputs.inputs_sha256.items()):
        bk.string(ws, r, 0, k)
        bk.string(ws, r, 1, v)
        r += 1
    r += 1
    ws.write(r, 0, "Sheets", bk.section)
    r += 1
    guide = [
        (
            "Inputs",
            "every scenario input: central value, distribution, source (yellow = input)",
        ),
        ("UnitCosts", "unit costs used: original, price year, deflators, uprated (formula)"),
        ("Timeline", "appraisal years, discount rates and factors (formulas)"),
        ("CohortExposure", "cohort sums computed by fam from the client data (values)"),
        ("Calculations", "use, £, savings, programme costs, by service, agency and year"),
        ("Outputs", "costs, benefits, NPV, £ back per £1, ROI, payback; who saves"),
        ("Agencies", "who invests, who saves: each agency's cost, savings, transfers, net"),
        ("MonteCarlo", "simulation results computed by fam (values) and a histogram"),
        (
            "Sensitivity",
            "what matters (computed by fam, values): tornado, switching values, "
            "break-even curve, value of information",
        ),
        ("Checks", "each check 0/1; the master check above is their minimum"),
        ("Parameters", "fam's built-in tables: GDP deflators, optimism bias, Green Book"),
    ]
    for name, what in guide:
        ws.write_url(r, 0, f"internal:'{name}'!A1", string=name)
        ws.write(r, 1, what)
        r += 1
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 70)
