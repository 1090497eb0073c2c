"""The Excel workbook: live formulas that recompute the central case, every input sourced.

Laid out after the FAST Standard and the ICAEW Financial Modelling Code: inputs on one sheet
(each scalar a named, validated cell), calculations that refer only to Inputs, UnitCosts,
Timeline, CohortExposure and Parameters, one consistent formula along each row (years run
across the columns from H, in the same columns on every time-based sheet), outputs that only
refer to calculations, and checks that are each 0 or 1 and multiply into a master check on the
Cover. Every formula is stored with the value fam computed, so viewers that do not recalculate
still see numbers. See docs/workbook.md for a sheet-by-sheet audit guide.

The Inputs and UnitCosts sheets are a scenario: `fam run workbook.xlsx` reads them back
(fam/inputs/workbook_input.py, which also defines the layout shared with this writer).

One module per sheet. Each exposes one write_* function that takes the sheet, the run and
what it refers to on earlier sheets, and returns what later sheets refer to (defined names,
rows), so the order below is the only place the dependencies between sheets are wired.
Writers only format and write: the model computations the workbook shows (the sensitivity
report, the discount rates) are made once here and passed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fam.inputs.workbook_input import INPUTS, UNIT_COSTS
from fam.model.finance import year_rates
from fam.writers.workbook.agencies import write_agencies
from fam.writers.workbook.book import Book
from fam.writers.workbook.calculations import write_calculations
from fam.writers.workbook.checks import write_checks
from fam.writers.workbook.client_detail import write_client_detail
from fam.writers.workbook.cohort_exposure import write_cohort_exposure
from fam.writers.workbook.cover import write_cover
from fam.writers.workbook.inputs import write_inputs
from fam.writers.workbook.layout import SHEETS, Run
from fam.writers.workbook.monte_carlo import write_monte_carlo
from fam.writers.workbook.outputs import write_outputs
from fam.writers.workbook.parameters import write_parameters
from fam.writers.workbook.placements import write_placements
from fam.writers.workbook.schema_rows import CHOICES, KNOWN, InRow, input_rows, template_dump
from fam.writers.workbook.sensitivity import write_sensitivity
from fam.writers.workbook.template import write_template
from fam.writers.workbook.timeline import write_timeline
from fam.writers.workbook.unit_costs import write_unit_costs
from fam.writers.workbook.written import write_written

if TYPE_CHECKING:
    from fam.analyses.results import Results


def write_workbook(results: Results, path: Path, client_detail: Any = None) -> None:
    """Write the workbook for a run (see the module docstring and docs/workbook.md).

    `client_detail` (a frame from fam.writers.privacy.client_detail_frame) adds a ClientDetail sheet.
    """
    run = Run.of(results)
    sc = run.sc
    # the model computations shown in the workbook, in one place
    rates = year_rates(sc.discounting.rate, run.n_y, sc.discounting.schedule)
    sensitivity = results.sensitivity
    assert sensitivity is not None, "the analysis stage computes the sensitivity report"

    bk = Book(Path(path))
    chain = run.res.plan.tables is not None and run.res.plan.tables.chain is not None
    names = list(SHEETS)
    if chain:  # the placement chain's own sheet, before the Calculations that use it
        names.insert(names.index("Calculations"), "Placements")
    ws = {name: bk.wb.add_worksheet(name) for name in names}
    write_parameters(bk, ws["Parameters"], run.mi.deflators, run.mi.optimism_bias)
    inputs = write_inputs(bk, ws[INPUTS], run)
    uc = write_unit_costs(bk, ws[UNIT_COSTS], run, inputs)
    tl = write_timeline(bk, ws["Timeline"], run, inputs, rates)
    ex = write_cohort_exposure(bk, ws["CohortExposure"], run)
    pl = write_placements(bk, ws["Placements"], run, inputs) if chain else None
    calc = write_calculations(bk, ws["Calculations"], run, inputs, uc, tl, ex, pl)
    out = write_outputs(bk, ws["Outputs"], run, inputs, tl, calc)
    ag = write_agencies(bk, ws["Agencies"], run, inputs, calc)
    write_monte_carlo(bk, ws["MonteCarlo"], run)
    write_sensitivity(bk, ws["Sensitivity"], run, sensitivity)
    master = write_checks(bk, ws["Checks"], run, inputs, uc, tl, ex, calc, out, ag)
    write_cover(bk, ws["Cover"], run, master)
    if client_detail is not None:
        write_client_detail(bk, client_detail)
    write_written(bk, run)
    ws["Cover"].activate()
    bk.close()


__all__ = [
    "CHOICES",
    "KNOWN",
    "InRow",
    "input_rows",
    "template_dump",
    "write_template",
    "write_workbook",
]
