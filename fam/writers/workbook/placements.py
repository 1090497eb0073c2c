"""The Placements sheet: the central case's placement chain as live formulas.

Month by month (columns from E), each start state's shares of clients in each state:
x[t+1][b] = x[t][b] x (1 - moves out of b) + sum over a of x[t][a] x P[a, b], without the
programme (the counterfactual) and, for each programme duration, with the effects on the
transitions: P[a, b] = MIN(1, MAX(0, p x (1 + change x profile(t) x e))). A state's use in a
year is the sum over start states and durations of SUMPRODUCT(its shares by month, the expected
clients in each month of that year) x one month in its service's unit; the Calculations sheet
links to those rows. The monthly probabilities and effects link to their Inputs rows (values
when estimated from a comparison arm); the profiles and the expected clients by month (age
limits included) are values computed by fam from the cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from fam.model import slots
from fam.writers.workbook.layout import HDR, YC

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run

MC = 4  # first month column (E)


@dataclass(frozen=True)
class PlacementRows:
    """Row of each state service's yearly use (years from column H, as on Calculations)."""

    cf: dict[int, int]
    pg: dict[int, int]

    def ref(self, arm: str, s: int, col: str) -> str:
        row = (self.cf if arm == "cf" else self.pg)[s]
        return f"Placements!{col}{row + 1}"


def write_placements(bk: Book, ws: Worksheet, run: Run, inputs: InputNames) -> PlacementRows:
    res, mi = run.res, run.mi
    plan = res.plan
    tab = plan.tables
    assert tab is not None and tab.chain is not None and mi.forms is not None
    ch, chin = tab.chain, mi.forms.chain
    assert chin is not None
    p = res.central.params
    h, n_s, n_d = tab.h, len(ch.states), tab.n_d
    weights = res.central.exposures["chain_weights"]  # [z, d, y, t]
    n_z = weights.shape[0]
    e_mean = float(p.completion[0] + (1 - p.completion[0]) * p.nce[0])
    x = slots.chain_states(tab, p.forms(), np.array([[e_mean]]), True)[0]  # [1 + 1, d, z, t, S]

    ws.write(
        0, 0, "Placements: the placement chain of the central case, as live formulas", bk.title
    )
    ws.write(1, 0, (__doc__ or "").split("\n\n")[1].replace("\n", " "), bk.note)
    r = HDR
    ws.write(r, 0, "line", bk.head)
    ws.write(r, 1, "item", bk.head)
    ws.write(r, 2, "value", bk.head)
    r += 1

    # parameters (fam's values from the scenario file)
    p_cell: dict[tuple[int, int], str] = {}
    for m, (a, b) in enumerate(zip(ch.trans_from, ch.trans_to, strict=True)):
        ws.write(r, 0, "monthly probability of the move")
        ws.write_string(r, 1, f"{ch.states[a]} -> {ch.states[b]}")
        key = chin.trans[m].name
        if key in inputs.names:
            ws.write_formula(r, 2, f"={inputs.nm(key)}", bk.num6, float(p.trans[0, m]))
        else:  # estimated from the comparison arm: fam's value
            ws.write_number(r, 2, float(p.trans[0, m]), bk.num6)
        ws.write(r, 3, key, bk.note)
        p_cell[(int(a), int(b))] = f"$C${r + 1}"
        r += 1
    c_cell: dict[tuple[int, int], tuple[str, int]] = {}
    for m, j in enumerate(ch.eff_of):
        if j < 0:
            continue
        a, b = int(ch.trans_from[m]), int(ch.trans_to[m])
        ws.write(r, 0, "effect on the move (relative change)")
        ws.write_string(r, 1, f"{ch.states[a]} -> {ch.states[b]}")
        key = chin.effects[int(j)][1].name
        if key in inputs.names:
            ws.write_formula(r, 2, f"={inputs.nm(key)}", bk.num6, float(p.tchange[0, j]))
        else:
            ws.write_number(r, 2, float(p.tchange[0, j]), bk.num6)
        c_cell[(a, b)] = (f"$C${r + 1}", int(j))
        r += 1
    unit_cell = {}
    for i, s in enumerate(ch.state_service):
        if s >= 0:
            ws.write(r, 0, "one month in the service's unit")
            ws.write_string(r, 1, mi.services[s])
            ws.write_number(r, 2, float(ch.state_month[i]), bk.num6)
            unit_cell[i] = f"$C${r + 1}"
            r += 1
    r += 1
    ws.write(r, 0, "relative month t", bk.head)
    for t in range(h):
        ws.write_number(r, MC + t, t, bk.head)
    r += 1
    # effect profiles by programme duration
    prof_row: dict[tuple[int, int], int] = {}
    for j in range(ch.eff_profile.shape[0]):
        for d in range(n_d):
            ws.write(r, 0, "effect profile")
            ws.write_string(r, 1, f"effect {j + 1}, {plan.dvals[d]}-month programme")
            for t in range(h):
                ws.write_number(r, MC + t, float(ch.eff_profile[j, d, t]), bk.num6)
            prof_row[(j, d)] = r
            r += 1

    def cell(row: int, t: int) -> str:
        return f"{xl_col_to_name(MC + t)}{row + 1}"

    def move(a: int, b: int, d: int | None, t: int) -> str:
        """P_t[a, b] as a formula term (no programme: d is None)."""
        pc = p_cell[(a, b)]
        if d is None or (a, b) not in c_cell:
            return pc
        cc, j = c_cell[(a, b)]
        prof = f"{xl_col_to_name(MC + t)}${prof_row[(j, d)] + 1}"
        return f"MIN(1,MAX(0,{pc}*(1+{cc}*{prof}*calc_engagement)))"

    def chain_rows(z: int, d: int | None, x_arm: np.ndarray, label: str) -> dict[int, int]:
        nonlocal r
        rows = {b: r + b for b in range(n_s)}
        for b in range(n_s):
            ws.write(r + b, 0, label)
            ws.write_string(r + b, 1, f"from {ch.states[z] if n_z > 1 else 'start shares'}: "
                            f"share in {ch.states[b]}")  # fmt: skip
            ws.write_number(r + b, MC, float(x_arm[0, b]), bk.num6)
            for t in range(1, h):
                out = [move(b, c, d, t - 1) for c in range(n_s) if (b, c) in p_cell]
                stay = (
                    f"{cell(rows[b], t - 1)}*(1-({'+'.join(out)}))" if out else cell(rows[b], t - 1)
                )
                into = [f"{cell(rows[a], t - 1)}*{move(a, b, d, t - 1)}"
                        for a in range(n_s) if (a, b) in p_cell]  # fmt: skip
                ws.write_formula(
                    r + b, MC + t, "=" + "+".join([stay, *into]), bk.num6, float(x_arm[t, b])
                )
        r += n_s
        return rows

    live = [(z, d) for z in range(n_z) for d in range(n_d) if weights[z, d].any()]
    cf_rows = {
        z: chain_rows(z, None, x[0, 0, z], "counterfactual share") for z in {z for z, _ in live}
    }
    pg_rows = {(z, d): chain_rows(z, d, x[1, d, z], f"programme share, {plan.dvals[d]} months")
               for z, d in live}  # fmt: skip
    r += 1
    # expected clients in each relative month of each appraisal year
    w_row: dict[tuple[int, int, int], int] = {}
    for z, d in live:
        for y in range(run.n_y):
            ws.write(r, 0, "expected clients in month t")
            ws.write_string(r, 1, f"year {y}, from {ch.states[z]}, {plan.dvals[d]} months")
            for t in range(h):
                ws.write_number(r, MC + t, float(weights[z, d, y, t]), bk.v_num)
            w_row[(z, d, y)] = r
            r += 1
    r += 1
    # use by appraisal year (the Calculations sheet links here)
    ws.write(r, 0, "use by appraisal year", bk.head)
    for y in range(run.n_y):
        ws.write_formula(r, YC + y, f"=Timeline!{xl_col_to_name(YC + y)}${HDR + 2}", bk.head, y)
    r += 1
    a_col, b_col = xl_col_to_name(MC), xl_col_to_name(MC + h - 1)

    def use_row(arm: str, s_i: int) -> int:
        nonlocal r
        svc = int(ch.state_service[s_i])
        ws.write(r, 0, "counterfactual use" if arm == "cf" else "programme-arm use")
        ws.write_string(r, 1, mi.services[svc])
        f = res.central.years
        vals = (f.cf_use if arm == "cf" else f.pg_use)[0, svc]
        for y in range(run.n_y):
            terms = []
            for z, d in live:
                xr = (cf_rows[z] if arm == "cf" else pg_rows[(z, d)])[s_i] + 1
                wr = w_row[(z, d, y)] + 1
                terms.append(f"SUMPRODUCT(${a_col}${xr}:${b_col}${xr},${a_col}${wr}:${b_col}${wr})")
            if terms:
                formula = f"=({'+'.join(terms)})*{unit_cell[s_i]}"
                ws.write_formula(r, YC + y, formula, bk.num, float(vals[y]))
            else:
                ws.write_number(r, YC + y, 0.0, bk.num)
        r += 1
        return r - 1

    cf = {int(ch.state_service[i]): use_row("cf", i) for i in unit_cell}
    pg = {int(ch.state_service[i]): use_row("pg", i) for i in unit_cell}
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 34)
    ws.freeze_panes(HDR + 1, 2)
    return PlacementRows(cf, pg)
