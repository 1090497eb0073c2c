"""The model's equation, written once (fam/projection.py): hand-worked values, and each
Calculations formula template evaluated with numbers equals the Python function."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fam import projection
from fam.projection import FORMULAS


def _evaluate(template: str, **values: float) -> float:
    """Fill a template with numbers and evaluate it as arithmetic (+ - * / and brackets)."""
    text = template.format(**{k: repr(float(v)) for k, v in values.items()})
    assert re.fullmatch(r"[0-9eE.+\-*/() ]+", text), text
    return float(eval(text))  # noqa: S307 - digits and operators only, checked above


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
    unit_cost, ob = v["e"], 0.15
    money = projection.price(
        np.array([[[float(cf)]]]),
        np.array([[[float(pg)]]]),
        np.array([0]),
        np.array([[unit_cost]]),
        np.array([ob]),
    )
    cf_gbp = _evaluate(FORMULAS["counterfactual_gbp"], counterfactual_use=cf, unit_cost=unit_cost)
    pg_gbp = _evaluate(FORMULAS["programme_gbp"], programme_use=pg, unit_cost=unit_cost)
    saving = _evaluate(
        FORMULAS["saving"], counterfactual_gbp=cf_gbp, programme_gbp=pg_gbp, ob_benefit=ob
    )
    assert cf_gbp == pytest.approx(float(money.cf_gbp[0, 0, 0]), rel=1e-13)
    assert pg_gbp == pytest.approx(float(money.pg_gbp[0, 0, 0]), rel=1e-13)
    assert saving == pytest.approx(float(money.savings[0, 0, 0]), rel=1e-12, abs=1e-9)


def test_every_template_names_only_known_quantities() -> None:
    names = set(FORMULAS) | {
        "completion", "non_completer_effect", "baseline", "baseline_ramp", "trend", "change",
        "profile", "profile_ramp", "unit_cost", "ob_benefit",
    }  # fmt: skip
    for key, template in FORMULAS.items():
        used = set(re.findall(r"{(\w+)}", template))
        assert used <= names, (key, used - names)
