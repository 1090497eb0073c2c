"""The Inputs sheet's rows come from the scenario schema: every field has a row (or is listed
here as not shown, with the reason), and every row is a schema field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from pydantic import BaseModel

from fam.inputs.loading import load_optimism_bias
from fam.inputs.scenario import Scenario, load_scenario_file
from fam.inputs.unit_costs import load_deflators
from fam.writers.workbook import CHOICES, KNOWN, input_rows, template_dump, write_template
from fam.writers.workbook.schema_rows import _plain, _section, shown
from tests.util import FIXTURES, ROOT

SCENARIOS = [
    FIXTURES / "forms" / "scenario.yaml",  # an absolute rate
    ROOT / "scenarios" / "essex_sib.yaml",  # has a sib section and sources
    ROOT / "scenarios" / "essex_sib_counterfactual.yaml",  # sib.outcome.comparison, one word
    ROOT / "scenarios" / "link_worker.yaml",
    FIXTURES / "hand" / "scenario.yaml",
]

# schema fields with no Inputs row of their own, and why
NOT_SHOWN = {
    "correlations.inputs": "a correlation group is written in the one 'correlations' list row",
    "correlations.rho": "a correlation group is written in the one 'correlations' list row",
    "correlations.source": "a correlation group is written in the one 'correlations' list row",
    "sib.outcome.comparison.days_per_client_month": "no scenario checked here uses this form; "
    "one that does gets a row, as sib.outcome.comparison.share_of_days",
}
# fields shown without a label (typed from their value, no data validation), and why
UNLABELLED = {
    f"sib.outcome.{k}": "labels not yet written; adding one adds a label and validation"
    for k in (
        "services",
        "comparison",
        "comparison.share_of_days",
        "tracking_months",
        "cohort_months",
        "source",
    )
}
UNLABELLED["sib"] = "the row an absent sib section leaves: blank, typed text"
UNLABELLED["placements"] = "the row an absent placements section leaves: blank, typed text"
UNLABELLED["counterfactual.services.*.rate"] = "a list of steps, one JSON row (typed list)"
for _k in ("states", "start", "transitions"):
    UNLABELLED[f"placements.{_k}"] = "a map written one row per entry, typed from its value"


def _fields(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """Key path pattern (map entries as '*') -> field info, for every leaf field; fields of
    models inside a list are listed under the list's key."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = prefix + name
        sub, is_map = _section(info.annotation)
        if sub is not None:
            out.update(_fields(sub, f"{key}.*." if is_map else f"{key}."))
            if info.default is None and not is_map:  # an absent section: one blank row
                out[key] = info
            continue
        # a map of numbers (programme_costs.funders) has a row per entry
        scalar_map = getattr(_plain(info.annotation), "__origin__", None) is dict and _plain(
            _plain(info.annotation).__args__[1]
        ) in (int, float)
        out[f"{key}.*" if key == "sources" or scalar_map else key] = info
        plain = _plain(info.annotation)
        args = getattr(plain, "__args__", ())
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            out.update(_fields(args[0], f"{key}."))
        # a union with a mapping form (sib.outcome.comparison): that mapping's keys too
        for a in args[1:]:
            a = _plain(a)
            if isinstance(a, type) and issubclass(a, BaseModel):
                out.update(_fields(a, f"{key}."))
    return out


FIELDS = _fields(Scenario)


def _pattern(key: str) -> str | None:
    """The schema field a row's key path is, as a pattern, or None."""
    parts = key.split(".")
    if parts[0] == "sources":
        return "sources.*" if len(parts) > 1 else None
    if parts[:2] == ["effects", "placements"] and len(parts) == 4:  # placement_effects
        return _pattern(f"placement_effects.x.{parts[3]}")
    for m in ("placements.states", "placements.start", "placements.transitions"):
        if key.startswith(m + "."):
            return m
    for pattern in FIELDS:
        p = pattern.split(".")
        if len(p) == len(parts) and all(a in ("*", b) for a, b in zip(p, parts, strict=True)):
            return pattern
    return None


def _row_keys() -> set[str]:
    keys = {r.key for r in input_rows(template_dump())}
    for path in SCENARIOS:
        dump = shown(load_scenario_file(path).model_dump(mode="json"))
        keys |= {r.key for r in input_rows(dump)}
    dump["sources"] = {"horizon_years": "a source for one key"}
    # every field of a service's form (the examples give only some)
    dump["counterfactual"]["services"] = {
        "x_*": {"trend": {"dist": "fixed", "value": 0.1}, "until_age": 18.0, "source": "s"}
    }
    keys |= {r.key for r in input_rows(dump)}
    return keys


def test_every_schema_field_has_an_inputs_row() -> None:
    shown = {_pattern(k) for k in _row_keys()}
    missing = [
        f
        for f in FIELDS
        if f not in shown
        and f not in NOT_SHOWN
        and not any(f.startswith(n + ".") for n in NOT_SHOWN)
    ]
    assert missing == []
    assert not (set(NOT_SHOWN) & shown), "listed as not shown but it has a row"


def test_every_inputs_row_is_a_schema_field() -> None:
    unknown = sorted(k for k in _row_keys() if _pattern(k) is None)
    assert unknown == []


def test_every_shown_field_has_a_label_in_the_schema() -> None:
    shown = {_pattern(k) for k in _row_keys()}
    unlabelled = sorted(p for p in shown if p is not None and p not in KNOWN)
    assert unlabelled == sorted(UNLABELLED)
    # the rows take their labels and choices from the schema
    rows = {r.key: r for r in input_rows(template_dump())}
    assert rows["horizon_years"].label == KNOWN["horizon_years"].label
    assert (rows["horizon_years"].lower, rows["horizon_years"].upper) == (1, 75)
    assert rows["perspective"].choices == CHOICES["perspective"]
    assert CHOICES["perspective"] == ("fiscal", "fiscal_cashable", "public_value")


def test_input_rows_match_the_written_sheet(tmp_path: Path) -> None:
    """The template's Inputs sheet holds exactly the rows derived from the schema."""
    out = tmp_path / "template.xlsx"
    write_template(out, load_deflators(), load_optimism_bias())
    ws = openpyxl.load_workbook(out)["Inputs"]
    written = [row[0].value for row in ws.iter_rows(min_row=5) if row[0].value]
    assert written == [r.key for r in input_rows(template_dump())]
