"""Write a set of workbooks and dump every cell, so a refactor of the writer can be diffed.

    PYTHONPATH=$PWD python3 benchmarks/dump_workbooks.py OUT_DIR

For each scenario (and the blank template) OUT_DIR gets NAME.txt: every sheet's cells
(formula and cached value, number format), the defined names and the data validations,
and NAME.xml.txt: the workbook's XML parts (document properties left out; the run date masked). Compare two
runs with `diff -r`.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import openpyxl

from fam import api
from fam.inputs.loading import load_optimism_bias
from fam.inputs.unit_costs import load_deflators
from fam.writers.privacy import client_detail_frame
from fam.writers.workbook import write_template, write_workbook

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "hand": (ROOT / "tests" / "fixtures" / "hand" / "scenario.yaml", 50, False),
    "hand_detail": (ROOT / "tests" / "fixtures" / "hand" / "scenario.yaml", 50, True),
    "essex_sib": (ROOT / "scenarios" / "essex_sib.yaml", 200, False),
    "comparison": (ROOT / "tests" / "fixtures" / "comparison" / "scenario.yaml", 50, False),
    "link_worker": (ROOT / "scenarios" / "link_worker.yaml", 50, False),
}


def _undate(text: str) -> str:
    """The Cover's run date (minutes) is the one cell that differs between two runs."""
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "RUN-DATE", text)


def dump(path: Path, out: Path) -> None:
    wf = openpyxl.load_workbook(path)
    wv = openpyxl.load_workbook(path, data_only=True)
    lines: list[str] = [f"sheets {wf.sheetnames}"]
    for name in sorted(wf.defined_names):
        lines.append(f"name {name} = {wf.defined_names[name].attr_text}")
    for ws in wf.worksheets:
        vs = wv[ws.title]
        lines.append(f"== {ws.title} dims={ws.dimensions} freeze={ws.freeze_panes}")
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and vs[c.coordinate].value is None:
                    continue
                lines.append(
                    f"{c.coordinate}\t{c.value!r}\t{vs[c.coordinate].value!r}\t{c.number_format}"
                )
        for dv in ws.data_validations.dataValidation:
            lines.append(
                f"dv {dv.sqref} {dv.type} {dv.operator} {dv.formula1} {dv.formula2} "
                f"{dv.error} {dv.prompt}"
            )
    out.write_text(_undate("\n".join(lines) + "\n"))
    with zipfile.ZipFile(path) as z:
        parts = [
            f"--- {n}\n{z.read(n).decode('utf-8', 'replace')}"
            for n in sorted(z.namelist())
            if not n.startswith("docProps/")
        ]
    out.with_suffix(".xml.txt").write_text(_undate("\n".join(parts) + "\n"))


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (scenario, n, detail) in CASES.items():
        res = api.run(scenario, iterations=n)
        frame = (
            client_detail_frame(res.inputs, b"a fixed salt for the dump only") if detail else None
        )
        path = out_dir / f"{name}.xlsx"
        write_workbook(res, path, client_detail=frame)
        dump(path, out_dir / f"{name}.txt")
        print(name, "done", flush=True)
    tpl = out_dir / "template.xlsx"
    tpl.unlink(missing_ok=True)
    write_template(tpl, load_deflators(), load_optimism_bias())
    dump(tpl, out_dir / "template.txt")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
