"""fam.vocabulary: the one definition of value types, units, perspectives and year forms."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fam import vocabulary as v

FAM = Path(__file__).resolve().parents[1] / "fam"


def test_month_in_unit_is_one_month_of_365_12_days():
    # a month is 365/12 = 30.41666... days: that many nights or days, 365/12 / 7 = 365/84
    # weeks, 1 month and 1/12 year
    assert v.MONTH_IN_UNIT == {
        "night": 365 / 12,
        "day": 365 / 12,
        "week": 365 / 84,
        "month": 1.0,
        "year": 1 / 12,
    }
    for unit, months in v.MONTH_IN_UNIT.items():
        assert months * v.DAYS_PER_UNIT[unit] == pytest.approx(365 / 12, rel=1e-15)
    # event units have no time length
    assert not set(v.EVENT_UNITS) & set(v.MONTH_IN_UNIT)


def test_units_split_into_time_and_event_units():
    assert set(v.TIME_UNITS) | set(v.EVENT_UNITS) == set(v.UNITS)
    assert not set(v.TIME_UNITS) & set(v.EVENT_UNITS)
    assert v.TIME_UNITS == ("night", "day", "week", "month", "year")
    assert set(v.MONTH_IN_UNIT) == set(v.TIME_UNITS) == set(v.DAYS_PER_UNIT)


def test_perspectives_have_labels():
    assert v.PERSPECTIVES == ("fiscal", "fiscal_cashable", "public_value")
    assert tuple(v.PERSPECTIVE_LABEL) == v.PERSPECTIVES
    assert tuple(v.PERSPECTIVE_DESCRIPTION) == v.PERSPECTIVES
    assert v.VALUE_TYPES == ("fiscal", "economic", "social", "transfer")
    assert set(v.PERSPECTIVE_VALUE_TYPES) == set(v.PERSPECTIVES)
    assert "transfer" not in v.PERSPECTIVE_VALUE_TYPES["public_value"]
    assert "transfer" in v.PERSPECTIVE_VALUE_TYPES["fiscal"]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2024-25", True),
        ("1999-00", True),
        ("2024-26", False),
        ("2024-2025", False),
        ("24-25", False),
        (" 2024-25", False),
        ("2024-25\n", False),
    ],
)
def test_financial_year(text, ok):
    assert v.is_financial_year(text) is ok


@pytest.mark.parametrize(
    ("text", "ok"), [("2013-04", True), ("2013-12", True), ("2013-13", False), ("2013-00", False)]
)
def test_calendar_month(text, ok):
    assert v.is_calendar_month(text) is ok


def _strings(nodes: list[ast.expr]) -> list[str] | None:
    out = []
    for n in nodes:
        if not (isinstance(n, ast.Constant) and isinstance(n.value, str)):
            return None
        out.append(n.value)
    return out


def _is_constant(node: ast.expr) -> bool:
    """A constant or arithmetic on constants, such as 365.0 / 12.0."""
    allowed = ast.Constant | ast.BinOp | ast.UnaryOp | ast.operator | ast.unaryop
    return all(isinstance(n, allowed) for n in ast.walk(node))


def _definitions(tree: ast.AST) -> list[tuple[int, str]]:
    """Literal sets of vocabulary names (tuples, lists, sets, Literal[...], label dicts)."""
    sets = {
        "value types": set(v.VALUE_TYPES),
        "units": set(v.UNITS),
        "time units": set(v.TIME_UNITS),
        "event units": set(v.EVENT_UNITS),
        "perspectives": set(v.PERSPECTIVES),
    }
    found = []
    for node in ast.walk(tree):
        names: list[str] | None = None
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = _strings(node.elts)
        elif isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
            keys = _strings([k for k in node.keys if k is not None])
            # a table of constants keyed by them (labels, days per unit)
            if keys is not None and all(_is_constant(x) for x in node.values):
                names = keys
        if names is not None and len(names) >= 2:
            found += [(node.lineno, what) for what, s in sets.items() if set(names) == s]
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and r"(\d{4})-(\d{2})" in node.value
        ):
            found.append((node.lineno, "financial-year pattern"))
    return found


def test_scan_finds_the_vocabulary_itself():
    tree = ast.parse((FAM / "vocabulary.py").read_text(encoding="utf-8"))
    kinds = {what for _, what in _definitions(tree)}
    assert kinds == {
        "value types",
        "units",
        "time units",
        "event units",
        "perspectives",
        "financial-year pattern",
    }


def test_no_module_but_vocabulary_defines_the_vocabulary():
    found = []
    for path in sorted(FAM.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(FAM)}:{line}: {what}" for line, what in _definitions(tree)]
    assert not found, "defined outside fam/vocabulary.py:\n" + "\n".join(found)
