"""Sensitivity on the hand fixture, where NPV is linear in every input (issue 8).

Hand fixture (tests/test_hand.py): per year the counterfactual is 14.4 A&E attendances at
£100 and 10.4 care weeks at £700; over two years with 3.5% discounting the year weights sum
to 1 + 1/1.035 = 1.966184. So dNPV/d(change in A&E) = -1,440 x 1.966184 = -2,831.30 and
dNPV/d(change in care) = -7,280 x 1.966184 = -14,313.82; NPV = 4,994.11 - 3 x per-client cost.
"""

from __future__ import annotations

import pytest
from scipy import stats

from fam import api
from fam.analyses import sensitivity
from tests.util import FIXTURES, ROOT, run_cli

HAND = FIXTURES / "hand" / "scenario.yaml"
W = 1 + 1 / 1.035


def _run(**over):
    return api.run(HAND, iterations=2000, overrides=over)


def test_tornado_order_and_swings_by_hand():
    res = _run(
        **{
            "effects.ae_attendance.change": {"dist": "normal", "mean": -0.5, "sd": 0.3},
            "effects.care_week_residential.change": {"dist": "normal", "mean": -0.25, "sd": 0.05},
        }
    )
    t = sensitivity.tornado(res)
    z = stats.norm.ppf(0.9) - stats.norm.ppf(0.1)
    assert t["input"].tolist() == [
        "effects.ae_attendance.change",
        "effects.care_week_residential.change",
    ]
    assert t["swing"].iloc[0] == pytest.approx(z * 0.3 * 1440 * W, rel=1e-9)
    assert t["swing"].iloc[1] == pytest.approx(z * 0.05 * 7280 * W, rel=1e-9)
    assert t.attrs["npv_central"] == pytest.approx(res.central.npv)


def test_switching_value_of_programme_cost_is_closed_form():
    res = _run(**{"programme_costs.per_client": {"dist": "uniform", "low": 500, "high": 3000}})
    sv = sensitivity.switching_values(res).set_index("input")
    benefits = 2540 * W
    assert sv.loc["programme_costs.per_client", "switching_value"] == pytest.approx(
        benefits / 3, abs=1e-3
    )


def test_no_switching_value_within_range():
    res = _run(**{"effects.ae_attendance.change": {"dist": "uniform", "low": -0.6, "high": -0.4}})
    sv = sensitivity.switching_values(res).set_index("input")
    assert sv.loc["effects.ae_attendance.change", "switching_value"] is None or (
        sv.loc["effects.ae_attendance.change", "switching_value"]
        != sv.loc["effects.ae_attendance.change", "switching_value"]
    )


def test_break_even_curve_steps_at_the_switching_cost():
    res = _run()
    curve = sensitivity.acceptability(res, [1000, 1664, 1665, 2000])
    assert curve["prob_npv_positive"].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert curve.attrs["scenario_cost"] == 1000


def test_cli_sensitivity_writes_tables(tmp_path):
    r = run_cli("sensitivity", str(HAND), "-n", "300", "--out", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == sorted(
        [
            ".fam-report",
            "tornado.csv",
            "switching_values.csv",
            "break_even_curve.csv",
            "value_of_information.csv",
            "psa_long.csv",
            "psa_parameters.csv",
        ]
    )
    assert "Expected value of perfect information" in r.stdout


def test_effect_inputs_are_labelled_by_service_not_code():
    # what `fam sensitivity` prints and the tornado shows: the unit costs' descriptions
    from fam.inputs.loading import effect_label, short_name

    assert short_name("Arrest with detention: police costs (£342), duty solicitor") == (
        "Arrest with detention"
    )
    names = {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert effect_label(["a"], names) == "Change in use: A"
    assert effect_label(["a", "b", "c", "d"], names) == "Change in use: A; B and 2 more"
    mi = api.load_scenario(ROOT / "scenarios" / "essex_sib.yaml")
    labels = {e.change.name: e.change.label for e in mi.effects if e.change is not None}
    assert labels["effects.arrest_*.change"] == (
        "Change in use: Arrest with detention; Arrest with no further action"
    )
    assert not any("_" in label for label in labels.values())
