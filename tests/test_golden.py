"""Golden regression: every shipped scenario reproduces its recorded reports exactly.

Each scenario is run from the CLI as tests/golden/record.py records it (300 iterations, the
scenario's own seed) and its summary.json, sib.json and update.json must equal the files in
tests/golden/<scenario>/, every number to the last digit. A change meant to move figures
re-records them and says why in CHANGELOG.md (see tests/golden/record.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.golden import record

STEMS = record.scenarios()


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Paths at which two parsed JSON values differ, with both values."""
    where = path or "(top)"
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in expected.keys() | actual.keys():
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: golden {expected[key]!r}, run has no such key")
            elif key not in expected:
                out.append(f"{sub}: not in golden, run {actual[key]!r}")
            else:
                out.extend(differences(expected[key], actual[key], sub))
        return sorted(out)
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: golden has {len(expected)} items, run {len(actual)}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out.extend(differences(e, a, f"{path}[{i}]"))
        return out
    # bool is an int in Python; 1 == True must still count as a difference
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: golden {expected!r}, run {actual!r}"]
    return []


def test_differences_names_each_differing_key():
    golden = {"a": {"b": 1.0, "c": [1, 2]}, "d": True, "e": 0.1}
    run = {"a": {"b": 1.0000000000000002, "c": [1, 3]}, "d": 1, "f": 0.1}
    assert differences(golden, golden) == []
    assert differences(golden, run) == [
        "a.b: golden 1.0, run 1.0000000000000002",
        "a.c[1]: golden 2, run 3",
        "d: golden True, run 1",
        "e: golden 0.1, run has no such key",
        "f: not in golden, run 0.1",
    ]


def golden(stem: str) -> dict[str, dict[str, Any]]:
    folder = record.GOLDEN / stem
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
    }


def test_every_scenario_has_a_golden_record():
    recorded = sorted(
        p.name for p in record.GOLDEN.iterdir() if p.is_dir() and any(p.glob("*.json"))
    )
    assert recorded == STEMS, "re-record with tests/golden/record.py (see its docstring)"
    for stem in STEMS:
        assert "summary.json" in golden(stem), stem


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return record.run_all(tmp_path_factory.mktemp("golden"), STEMS)


@pytest.mark.slow
@pytest.mark.parametrize("stem", STEMS)
def test_scenario_matches_golden(stem: str, runs: dict[str, dict[str, Any]]):
    expected = golden(stem)
    actual = runs[stem]
    assert sorted(actual) == sorted(expected), f"{stem}: reports written differ from the golden"
    report = []
    for name in sorted(expected):
        report.extend(f"{stem}/{name}: {d}" for d in differences(expected[name], actual[name]))
    assert not report, "\n".join(report)
    assert actual == expected
