"""The model's equation, written once (fam/model/projection.py): hand-worked values, and each
Calculations formula template evaluated with numbers equals the Python function."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fam.model import projection
from fam.model.projection import FORMULAS


def _evaluate(template: str, **values: float) -> float:
    """Fill a template with numbers and evaluate it as a spreadsheet would: + - * / and
    brackets, and IF(condition,a,b) with a >= comparison."""
    text = template.format(**{k: repr(float(v)) for k, v in values.items()})
    text = text.replace("IF(", "_if(").replace(">=", ">=")
    assert re.fullmatch(r"[0-9eE.+\-*/(), >=_if]+", text), text
    return float(eval(text, {"_if": lambda c, a, b: a if c else b}))  # noqa: S307


def test_use_by_hand() -> None:
    # baseline 12 a year, ramp sum 6, trend 0.25: cf = 12 - 0.25 x 6 = 10.5
    # effect -0.5, engagement folded into q: q0 = 8, q1 = 4: pg = 10.5 - 0.5 x (8 - 0.25 x 4)
    #   = 10.5 - 0.5 x 7 = 7
    cf, pg = projection.use(0.25, -0.5, 12.0, 6.0, 8.0, 4.0)
    assert float(cf) == 10.5
    assert float(pg) == 7.0
    # engagement given separately: e = 0.8, q0 = 10, q1 = 5: 10.5 - 0.5 x 0.8 x (10 - 1.25)
    #   = 10.5 - 3.5 = 7
    _, pg = projection.use(0.25, -0.5, 12.0, 6.0, 10.0, 5.0, 0.8)
    assert float(pg) == pytest.approx(7.0, abs=1e-12)


def test_engagement_by_hand() -> None:
    # 0.86 complete; non-completers get 0.3 of the effect: 0.86 + 0.14 x 0.3 = 0.902
    assert projection.engagement(0.86, 0.3) == pytest.approx(0.902, abs=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_formula_templates_equal_the_functions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    v = {k: float(x) for k, x in zip("abcdefghij", rng.uniform(-2, 20, 10), strict=True)}
    trend, change, comp, nce = 0.3, -0.4, 0.86, 0.3
    e = projection.engagement(comp, nce)
    assert _evaluate(
        FORMULAS["engagement"], completion=comp, non_completer_effect=nce
    ) == pytest.approx(e, rel=1e-15)
    cf, pg = projection.use(trend, change, v["a"], v["b"], v["c"], v["d"], e)
    got_cf = _evaluate(
        FORMULAS["counterfactual_use"], baseline=v["a"], trend=trend, baseline_ramp=v["b"]
    )
    got_pg = _evaluate(
        FORMULAS["programme_use"],
        counterfactual_use=got_cf,
        change=change,
        engagement=e,
        profile=v["c"],
        trend=trend,
        profile_ramp=v["d"],
    )
    assert got_cf == pytest.approx(float(cf), rel=1e-13)
    assert got_pg == pytest.approx(float(pg), rel=1e-13)
    # £ and savings for one cost row
    unit_cost, ob, ob_e, attr, disp = v["e"], 0.15, 0.05, 0.2, 0.1
    money = projection.price(
        np.array([[[float(cf)]]]),
        np.array([[[float(pg)]]]),
        np.array([0]),
        np.array([[unit_cost]]),
        np.array([ob]),
        np.array([ob_e]),
        additional=np.array([projection.additionality(attr, disp)]),
    )
    cf_gbp = _evaluate(FORMULAS["counterfactual_gbp"], counterfactual_use=cf, unit_cost=unit_cost)
    pg_gbp = _evaluate(FORMULAS["programme_gbp"], programme_use=pg, unit_cost=unit_cost)
    saving = _evaluate(
        FORMULAS["saving"],
        counterfactual_gbp=cf_gbp,
        programme_gbp=pg_gbp,
        ob_benefit=ob,
        ob_effect=ob_e,
        attribution=attr,
        displacement=disp,
    )
    assert cf_gbp == pytest.approx(float(money.cf_gbp[0, 0, 0]), rel=1e-13)
    assert pg_gbp == pytest.approx(float(money.pg_gbp[0, 0, 0]), rel=1e-13)
    assert saving == pytest.approx(float(money.savings[0, 0, 0]), rel=1e-12, abs=1e-9)


def test_every_template_names_only_known_quantities() -> None:
    names = set(FORMULAS) | {
        "completion", "non_completer_effect", "baseline", "baseline_ramp", "trend", "change",
        "profile", "profile_ramp", "unit_cost", "ob_benefit", "ob_effect", "rates",
        "rate_months", "rate_profile", "attribution", "displacement",
    }  # fmt: skip
    for key, template in FORMULAS.items():
        used = set(re.findall(r"{(\w+)}", template))
        assert used <= names, (key, used - names)


def test_optimism_bias_is_asymmetric_by_hand() -> None:
    # ob_c 10%, ob_e 20%: a saving of 100 counts as 100 x 0.9 x 0.8 = 72; a cost increase
    # (saving -100) as -100 x 1.1 x 1.2 = -132 (made larger, not smaller)
    s = np.array([[[100.0, -100.0]]])
    out = projection.optimism_bias(s, np.array([0.1]), np.array([0.2]))
    assert out[0, 0, 0] == pytest.approx(72.0, abs=1e-12)
    assert out[0, 0, 1] == pytest.approx(-132.0, abs=1e-12)
    # months take the sign of their year: year 0 = +30 - 10 = +20 (a saving) so its -10
    # month is reduced too: -10 x 0.72 = -7.2; year 1 = -5 (a cost) so +1 -> +1.32
    m = np.array([[[30.0, -10.0, 1.0, -6.0]]])
    out = projection.optimism_bias(
        m, np.array([0.1]), np.array([0.2]), year_of_bucket=np.array([0, 0, 1, 1])
    )
    assert out[0, 0].tolist() == pytest.approx([21.6, -7.2, 1.32, -7.92])
    # the workbook's template (one appraisal year per column) gives the same as Python
    for saving, expected in ((100.0, 72.0), (-100.0, -132.0)):
        got = _evaluate(
            FORMULAS["saving"],
            counterfactual_gbp=saving,
            programme_gbp=0.0,
            ob_benefit=0.1,
            ob_effect=0.2,
            attribution=0.0,
            displacement=0.0,
        )
        assert got == pytest.approx(expected, abs=1e-12)


def test_additionality_by_hand() -> None:
    # attribution 20% (others' share of the change), displacement 10% (moved elsewhere):
    # a saving of 100 counts as 100 x 0.8 x 0.9 = 72, a cost increase of 100 as -72
    assert projection.additionality(0.2, 0.1) == pytest.approx(0.72, abs=1e-15)
    money = projection.price(
        np.array([[[3.0, 1.0]]]),
        np.array([[[2.0, 2.0]]]),
        np.array([0]),
        np.array([[100.0]]),
        np.array([0.0]),
        additional=np.array([0.72]),
    )
    assert money.savings[0, 0].tolist() == pytest.approx([72.0, -72.0], abs=1e-12)
    # with optimism bias 10% / 20% as well: 100 x 0.9 x 0.8 x 0.72 = 51.84 (the template too)
    got = _evaluate(
        FORMULAS["saving"],
        counterfactual_gbp=100.0,
        programme_gbp=0.0,
        ob_benefit=0.1,
        ob_effect=0.2,
        attribution=0.2,
        displacement=0.1,
    )
    assert got == pytest.approx(51.84, abs=1e-12)
    # no additionality given: the savings are those of optimism bias alone, bit for bit
    plain = projection.price(
        np.array([[[3.0]]]), np.array([[[2.0]]]), np.array([0]), np.array([[100.0]]),
        np.array([0.1]),
    )  # fmt: skip
    one = projection.price(
        np.array([[[3.0]]]), np.array([[[2.0]]]), np.array([0]), np.array([[100.0]]),
        np.array([0.1]), additional=np.array([projection.additionality(0.0, 0.0)]),
    )  # fmt: skip
    assert one.savings.tolist() == plain.savings.tolist()
