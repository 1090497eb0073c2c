"""The Sensitivity sheet: what matters to the decision (values computed by fam)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from fam.analyses.sensitivity import REPORT_MAX_INPUTS
from fam.writers.workbook.layout import HDR

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from fam.analyses.sensitivity import Report
    from fam.writers.workbook.book import Book
    from fam.writers.workbook.layout import Run

# what each of fam.analyses.sensitivity.default_groups is, for the Sensitivity sheet
_GROUP_WHAT = {
    "effects": "every effect on service use, learnt together",
    "unit costs": "every drawn unit cost, learnt together",
    "programme costs": "the programme costs, learnt together",
    "all drawn inputs": "every drawn input together (not the chance variation between clients)",
}


def write_sensitivity(bk: Book, ws: Worksheet, run: Run, rep: Report) -> None:
    """Values computed by fam (fam.analyses.sensitivity.report, passed in as `rep`), kept out of the
    Checks."""
    res = run.res
    sens = _Sens(bk, run)
    pby = run.sc.price_base_year
    persp = run.sc.perspective
    ws.write(
        0,
        0,
        "Sensitivity: what matters to the decision (values computed by fam, not formulas)",
        bk.title,
    )
    ws.write(
        1,
        0,
        f"Computed by fam from this run ({res.iterations:,} iterations, seed {res.seed}; "
        f"NPV in the {persp} perspective, present values, £ in {pby} prices). Not linked "
        "to the formulas: after editing Inputs, re-run fam to update this sheet.",
        bk.note,
    )
    r = 2
    if rep.n_uncertain == 0:
        ws.write(r, 0, "No uncertain inputs", bk.section)
        ws.write(
            r + 1,
            0,
            "Every input in this scenario is fixed, so there is no one-way sensitivity "
            "(tornado), no switching value and no partial value of information to show. "
            "Give inputs distributions (Inputs sheet) to see which of them matter.",
            bk.text,
        )
        r += 3
    else:
        r = sens.tornado(ws, r, rep)
        r = sens.switching(ws, r + 1, rep)
    r = sens.curve(ws, r + 1, rep)
    sens.voi(ws, r + 1, rep)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 46)
    ws.set_column(2, 2, 22)
    ws.set_column(3, 8, 17)
    ws.freeze_panes(HDR + 1, 0)


class _Sens:
    """Writes the sections of the Sensitivity sheet, numbering their titles."""

    def __init__(self, bk: Book, run: Run) -> None:
        self.bk = bk
        self.run = run
        self.n = 0

    def title(self, text: str) -> str:
        self.n += 1
        return f"{self.n}. {text}"

    def label(self, name: str, label: str) -> str:
        return re.sub(r" \((\d{4}-\d{2}) prices\)$", r" (entered in \1 prices)", label or name)

    def unit(self, name: str) -> tuple[str, Format]:
        bk = self.bk
        if name.startswith("effects."):
            return "relative change in use", bk.v_pct
        if name.startswith(("counterfactual.trend", "engagement.", "additionality.")):
            return "share", bk.v_pct
        if name.startswith(("programme_costs.", "unit_cost.")):
            return f"£, {self.run.sc.price_base_year} prices", bk.v_money2
        return "number", bk.v_num

    def note(self, ws: Worksheet, r: int, lines: list[str]) -> int:
        for line in lines:
            ws.write(r, 0, line, self.bk.note)
            r += 1
        return r

    def tornado(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        ws.write(
            r,
            0,
            self.title("One-way sensitivity (tornado): NPV swing, largest first"),
            bk.section,
        )
        r += 1
        assert r == HDR  # the frozen header row
        ws.write_row(
            r,
            0,
            [
                "input (key)",
                "what it is",
                "unit",
                "low value (10th percentile)",
                "high value (90th percentile)",
                "NPV at low value (£)",
                "NPV at high value (£)",
                "swing (£)",
            ],
            bk.head,
        )
        r += 1
        for row in rep.tornado.itertuples(index=False):
            unit, fmt = self.unit(str(row.input))
            bk.string(ws, r, 0, row.input, bk.v_text)
            bk.string(ws, r, 1, self.label(str(row.input), str(row.label)), bk.v_text)
            ws.write_string(r, 2, unit, bk.v_text)
            ws.write_number(r, 3, float(row.low_value), fmt)
            ws.write_number(r, 4, float(row.high_value), fmt)
            ws.write_number(r, 5, float(row.npv_low), bk.v_money)
            ws.write_number(r, 6, float(row.npv_high), bk.v_money)
            ws.write_number(r, 7, float(row.swing), bk.v_money)
            r += 1
        ws.write(r, 0, "central NPV (every input central)", bk.bold)
        ws.write_number(r, 5, float(rep.tornado.attrs["npv_central"]), bk.v_money)
        r += 1
        return self.note(
            ws,
            r,
            [
                "Each uncertain input at its 10th and 90th percentile with every other input at "
                "its central value; the central case's NPV recomputed by fam.",
                "For a commissioner: the inputs at the top are the assumptions the answer rests "
                "on most. A row whose NPVs lie on both sides of £0 can, on its own, change "
                "whether the programme pays for itself.",
            ],
        )

    def switching(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        ws.write(
            r,
            0,
            self.title("Switching values: the value of each input at which NPV = 0"),
            bk.section,
        )
        r += 1
        ws.write_row(
            r,
            0,
            [
                "input (key)",
                "what it is",
                "unit",
                "central value",
                "range searched from (0.1th percentile)",
                "range searched to (99.9th percentile)",
                "NPV = 0 at",
            ],
            bk.head,
        )
        r += 1
        for row in rep.switching.itertuples(index=False):
            unit, fmt = self.unit(str(row.input))
            bk.string(ws, r, 0, row.input, bk.v_text)
            bk.string(ws, r, 1, self.label(str(row.input), str(row.label)), bk.v_text)
            ws.write_string(r, 2, unit, bk.v_text)
            ws.write_number(r, 3, float(row.central), fmt)
            ws.write_number(r, 4, float(row.range_low), fmt)
            ws.write_number(r, 5, float(row.range_high), fmt)
            sv = row.switching_value
            if sv is None or not np.isfinite(float(sv)):
                ws.write_string(r, 6, "none within the range", bk.v_text)
            else:
                ws.write_number(r, 6, float(sv), fmt)
            r += 1
        return self.note(
            ws,
            r,
            [
                "The value at which the central case breaks even, with every other input at its "
                "central value.",
                "For a commissioner: 'none within the range' means that input alone cannot turn "
                "the answer round anywhere in its plausible range; where there is a value, ask "
                "how likely the true value is to lie beyond it.",
            ],
        )

    def curve(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        pby = self.run.sc.price_base_year
        curve = rep.curve
        ws.write(
            r,
            0,
            self.title(
                "Break-even curve: chance that NPV > 0 as the programme cost per client varies"
            ),
            bk.section,
        )
        r += 1
        for label, v, fmt in (
            (
                f"Programme cost per client in this scenario (£, {pby} prices)",
                rep.scenario_cost,
                bk.v_money2,
            ),
            (
                "Cost per client at which the central case breaks even (£)",
                rep.break_even_cost,
                bk.v_money2,
            ),
            (
                "Cost per client at which P(NPV > 0) = 50% (£)",
                rep.even_odds_cost,
                bk.v_money2,
            ),
        ):
            ws.write(r, 0, label, bk.bold)
            if v is None or not np.isfinite(v):
                ws.write_string(r, 1, "n/a: the cost per client does not move the NPV", bk.v_text)
            else:
                ws.write_number(r, 1, float(v), fmt)
            r += 1
        r += 1
        ws.write_row(
            r,
            0,
            [
                f"programme cost per client (£, {pby} prices)",
                "P(NPV > 0)",
                "50% (as likely as not)",
                "P(NPV > 0) at the scenario's cost",
                "",
            ],
            bk.head,
        )
        r += 1
        first = r
        costs = curve["cost"].to_numpy(dtype=float)
        mark = int(np.argmin(np.abs(costs - rep.scenario_cost))) if len(costs) else -1
        for i, (c, p) in enumerate(
            zip(costs, curve["prob_npv_positive"].to_numpy(dtype=float), strict=True)
        ):
            ws.write_number(r, 0, float(c), bk.v_money)
            ws.write_number(r, 1, float(p), bk.v_pct)
            ws.write_number(r, 2, 0.5, bk.v_pct)
            if i == mark:
                ws.write_number(r, 3, float(p), bk.v_pct)
                ws.write_string(r, 4, "◄ the scenario's cost", bk.bold)
            r += 1
        last = r - 1
        if last >= first:
            sheet = "Sensitivity"
            chart = bk.wb.add_chart({"type": "line"})
            cats = [sheet, first, 0, last, 0]
            chart.add_series(
                {
                    "name": "P(NPV > 0)",
                    "categories": cats,
                    "values": [sheet, first, 1, last, 1],
                    "line": {"color": "#0072B2", "width": 2.25},
                }
            )
            chart.add_series(
                {
                    "name": "50%",
                    "categories": cats,
                    "values": [sheet, first, 2, last, 2],
                    "line": {"color": "#4D4D4D", "width": 1, "dash_type": "dash"},
                }
            )
            chart.add_series(
                {
                    "name": "the scenario's cost",
                    "categories": cats,
                    "values": [sheet, first, 3, last, 3],
                    "line": {"none": True},
                    "marker": {
                        "type": "diamond",
                        "size": 9,
                        "fill": {"color": "#D55E00"},
                        "border": {"color": "#1A1A1A"},
                    },
                }
            )
            chart.show_blanks_as("gap")
            chart.set_title(
                {"name": "Chance of breaking even by cost per client (computed by fam)"}
            )
            chart.set_x_axis(
                {
                    "name": f"programme cost per client (£, {pby} prices)",
                    "num_format": "£#,##0",
                    "interval_unit": 10,
                    "interval_tick": 5,
                }
            )
            chart.set_y_axis(
                {"name": "P(NPV > 0)", "min": 0, "max": 1, "num_format": "0%", "major_unit": 0.25}
            )
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 640, "height": 340})
            ws.insert_chart(first - 1, 6, chart)
        r = max(r, first + 18)
        return self.note(
            ws,
            r,
            [
                "Each iteration's NPV with its programme cost per client replaced by the cost in "
                "the row (NPV falls by the same amount per £1 of cost in every iteration); all "
                "other uncertainty as in the simulations.",
                "For a commissioner: read across from 50% for the cost per client at which "
                "breaking even is as likely as not; the marked row is the scenario's own cost.",
            ],
        )

    def voi(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        size = self.run.mi.size
        vi = rep.voi
        ws.write(
            r,
            0,
            self.title(
                "Value of information: the most it would be worth paying for research that "
                "removes this uncertainty"
            ),
            bk.section,
        )
        r += 1
        for label, key in (
            ("EVPI per client (£)", "evpi_per_client"),
            (
                f"EVPI for the cohort of {size:,.0f} clients expected over the horizon (£)",
                "evpi_population",
            ),
        ):
            ws.write(r, 0, label, bk.bold)
            ws.write_number(r, 1, float(vi.attrs[key]), bk.v_money2)
            r += 1
        r += 1
        if len(vi) == 0:
            ws.write(
                r,
                0,
                "No input in this scenario is uncertain, so there is no partial value of "
                "information: any EVPI above is chance variation between clients, which no "
                "research removes.",
                bk.text,
            )
            r += 1
        else:
            ws.write_row(
                r,
                0,
                [
                    "input or group",
                    "what it is",
                    "kind",
                    "partial EVPI per client (£)",
                    "partial EVPI for the cohort (£)",
                    "share of EVPI",
                ],
                bk.head,
            )
            r += 1
            labels = {str(t.input): str(t.label) for t in rep.tornado.itertuples(index=False)}
            for row in vi.itertuples(index=False):
                name = str(row.name)
                what = (
                    self.label(name, labels.get(name, name))
                    if row.kind == "input"
                    else _GROUP_WHAT.get(name, "these inputs together")
                )
                bk.string(ws, r, 0, name, bk.v_text)
                bk.string(ws, r, 1, what, bk.v_text)
                ws.write_string(r, 2, str(row.kind), bk.v_text)
                ws.write_number(r, 3, float(row.evppi_per_client), bk.v_money2)
                ws.write_number(r, 4, float(row.evppi_population), bk.v_money)
                ws.write_number(r, 5, float(row.share_of_evpi), bk.v_pct)
                r += 1
        left_out = rep.voi_inputs_left_out
        notes = [
            "EVPI = E[max(NPV, 0)] − max(E[NPV], 0) over the iterations, for the decision to fund "
            "or not; partial EVPI: the same for learning one input (or group) exactly, by "
            "regression on the iterations (docs/voi.md). Cohort = per client × the clients "
            "expected over the horizon.",
            "For a commissioner: an upper bound on what any evaluation, pilot or data "
            "exercise could be worth for this decision (no study removes uncertainty "
            "completely); research costing more is not worth doing for this decision alone. "
            "Near £0: more evidence would not change the decision.",
        ]
        if len(vi):
            notes.append(
                f"Partial EVPI is computed for the {REPORT_MAX_INPUTS} inputs with the largest "
                "tornado swings and for the groups"
                + (
                    f"; the other {left_out} uncertain inputs move the NPV less (or not at all) "
                    "and are not evaluated one by one"
                    if left_out
                    else ""
                )
                + ". Group values are joint and do not add up. EVPI also counts chance "
                "variation between clients that no research removes; 'all drawn inputs' "
                "leaves it out."
            )
        return self.note(ws, r, notes)

    # ------------------------------------------------------------------ Checks
