"""The agency ledger, additionality and transfers, worked by hand on the hand fixture
(tests/test_hand.py: 3 clients, 2 years, £3,000 of programme costs in year 0; savings a year
£720 to the NHS (A&E, 50% cashable) and £1,820 to the local authority (care, 100% cashable);
year 1 discounted by 1/1.035).

With two funders, commissioner 60% and NHS 40%, attribution 20% and displacement 10%:

- additionality = (1 − 0.2) × (1 − 0.1) = 0.72 of every saving counts;
- NHS savings = 720 × 0.72 = 518.40 a year: PV 518.40 + 518.40 / 1.035 = 518.40 + 500.87
  = £1,019.27 (cashable half: 1,019.2696 / 2 = £509.63);
- local authority = 1,820 × 0.72 = 1,310.40 a year: PV 1,310.40 + 1,266.09 = £2,576.49;
- programme cost: commissioner 0.6 × 3,000 = £1,800, NHS 0.4 × 3,000 = £1,200 (sum £3,000);
- net: commissioner 0 − 1,800 = −£1,800.00; NHS 1,019.27 − 1,200 = −£180.73; local
  authority 2,576.49 − 0 = +£2,576.49; total £595.76 = NPV = 0.72 × 4,994.11 − 3,000;
- £ back per £1: NHS 1,019.27 / 1,200 = 0.849; commissioner 0; local authority none (it
  puts nothing in).
"""

from __future__ import annotations

import numpy as np
import pytest

from fam import api
from fam.engine import perspective_weights
from fam.errors import InputError
from fam.inputs.loading import load
from tests.util import FIXTURES, run_cli

HAND = FIXTURES / "hand" / "scenario.yaml"
TWO_FUNDERS = {
    "programme_costs.funders": {"commissioner": 0.6, "NHS": 0.4},
    "additionality": {"attribution": 0.2, "displacement": 0.1},
}


def test_two_funders_two_saving_agencies_by_hand() -> None:
    res = api.run(load(HAND, TWO_FUNDERS), iterations=50)
    lg = res.ledger_frame()
    assert list(lg.index) == ["commissioner", "NHS", "Local authority"]
    assert lg["programme_cost"].round(2).tolist() == [1800.00, 1200.00, 0.00]
    assert lg["savings"].round(2).tolist() == [0.00, 1019.27, 2576.49]
    assert lg["cashable"].round(2).tolist() == [0.00, 509.63, 2576.49]
    assert lg["transfers"].tolist() == [0.0, 0.0, 0.0]
    assert lg["net"].round(2).tolist() == [-1800.00, -180.73, 2576.49]
    assert lg.loc["NHS", "return_per_pound"] == pytest.approx(1019.2695652 / 1200, rel=1e-6)
    assert lg.loc["commissioner", "return_per_pound"] == 0.0
    assert np.isnan(lg.loc["Local authority", "return_per_pound"])
    head = res.central_headline()
    assert round(head["npv"], 2) == 595.76
    assert lg["programme_cost"].sum() == pytest.approx(head["costs"], abs=1e-9)
    assert lg["net"].sum() == pytest.approx(head["npv"], abs=1e-9)
    # no uncertainty: every iteration is the central case, so the chances are 0 or 1
    assert lg["prob_net_positive"].tolist() == [0.0, 0.0, 1.0]
    by = res.summary()["by_agency"]
    assert round(by["NHS"]["net"], 2) == -180.73
    assert by["NHS"]["monte_carlo"]["prob_net_positive"] == 0.0
    assert by["Local authority"]["central_benefits"] == by["Local authority"]["savings"]


def test_nets_add_up_to_the_npv_in_every_iteration() -> None:
    over = {
        **TWO_FUNDERS,
        "additionality": {"attribution": {"dist": "beta", "mean": 0.2, "sd": 0.05}},
        "monte_carlo": {"iterations": 100, "seed": 3, "bootstrap": True, "poisson": True},
    }
    res = api.run(load(HAND, over), iterations=100)
    lg = res.ledger()
    assert lg.draws_cost.sum(axis=1) == pytest.approx(res.draws.costs, abs=1e-9)
    assert lg.draws_net.sum(axis=1) == pytest.approx(res.npv, abs=1e-9)
    assert np.ptp(res.draws.params["additionality.attribution"]) > 0
    # attribution is drawn, so it is in the tornado
    assert "additionality.attribution" in set(res.sensitivity.tornado["input"])


def test_default_additionality_and_one_funder_change_nothing() -> None:
    plain = api.run(HAND, iterations=50)
    zero = api.run(
        load(HAND, {"additionality": {"attribution": 0, "displacement": 0}}), iterations=50
    )
    assert plain.summary()["central"] == zero.summary()["central"]
    lg = plain.ledger_frame()
    assert lg.loc["commissioner", "programme_cost"] == plain.central.costs
    assert lg.loc["commissioner", "net"] == -plain.central.costs


def test_essex_investors_commissioner_and_savers_add_up() -> None:
    from tests.util import ROOT

    res = api.run(ROOT / "scenarios" / "essex_sib.yaml", iterations=20)
    lg = res.ledger_frame()
    sib = res.sib.central
    assert lg["programme_cost"].sum() == pytest.approx(res.central.costs, rel=1e-12)
    assert lg.loc["commissioner", "programme_cost"] == pytest.approx(
        sib["commissioner_programme_costs_pv"], rel=1e-12
    )
    # the investors' capital funds the rest; they receive the outcome payments
    assert lg.loc["investors", "transfers"] == pytest.approx(sib["outcome_payments_pv"])
    assert lg.loc["commissioner", "transfers"] == pytest.approx(-sib["outcome_payments_pv"])
    assert lg["transfers"].sum() == pytest.approx(0.0, abs=1e-6)
    assert lg["net"].sum() == pytest.approx(res.central.npv, abs=1e-6)


def test_transfers_count_in_the_fiscal_ledger_not_in_public_value() -> None:
    w = perspective_weights(
        np.array(["fiscal", "transfer", "economic", "social"]), np.array([0.5, 1.0, 0.0, 0.0])
    )
    # rows: fiscal, fiscal_cashable, public_value
    assert w.tolist() == [[1, 1, 0, 0], [0.5, 1, 0, 0], [1, 0, 1, 1]]


def test_a_transfer_row_end_to_end(tmp_path) -> None:
    import shutil

    folder = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", folder)
    csv = folder / "unit_costs.csv"
    # A&E becomes a transfer (as if it were a benefit payment the NHS no longer makes)
    csv.write_text(csv.read_text().replace("Acute trust,fiscal,0.5", "Acute trust,transfer,0.5"))
    res = api.run(load(folder / "scenario.yaml", {"perspective": "public_value"}), iterations=20)
    b = dict(zip(("fiscal", "fiscal_cashable", "public_value"), res.central.benefits, strict=True))
    # fiscal counts both: 720 + 1,820 a year; public value only the care saving
    assert b["fiscal"] == pytest.approx(2540 + 2540 / 1.035)
    assert b["fiscal_cashable"] == pytest.approx(2180 + 2180 / 1.035)
    assert b["public_value"] == pytest.approx(1820 + 1820 / 1.035)
    lg = res.ledger_frame()
    assert lg.loc["NHS", "fiscal"] == pytest.approx(720 + 720 / 1.035)
    assert lg.loc["NHS", "savings"] == 0.0  # headline public value: not counted


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"commissioner": 0.6, "NHS": 0.3}, "the funders' shares must sum to 1, got 0.9"),
        ({"commissioner": 1.2, "NHS": -0.2}, "commissioner: expected a share between 0 and 1"),
        ({}, "name at least one funder"),
    ],
)
def test_bad_funders_are_one_line_errors(over, message) -> None:
    with pytest.raises(InputError, match="programme_costs.funders: " + message):
        load(HAND, {"programme_costs.funders": over})


def test_bad_additionality_is_a_one_line_error(tmp_path) -> None:
    import shutil

    folder = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", folder)
    sc = folder / "scenario.yaml"
    sc.write_text(sc.read_text() + "additionality: {attribution: 1.5}\n")
    out = run_cli("run", str(sc), "--out", str(tmp_path / "out"), "-q")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "additionality.attribution" in out.stderr and "between 0 and 1" in out.stderr
    assert not (tmp_path / "out").exists()


def test_a_funder_that_also_saves_has_one_row() -> None:
    # the local authority pays all £3,000 and saves £3,578.45 (tests/test_hand.py): net
    # +£578.45, £1.19 back per £1; the NHS saves £1,415.65 and pays nothing
    res = api.run(load(HAND, {"programme_costs.funders": {"Local authority": 1}}), iterations=20)
    lg = res.ledger_frame()
    assert list(lg.index) == ["Local authority", "NHS"]
    assert lg["net"].round(2).tolist() == [578.45, 1415.65]
    assert round(lg.loc["Local authority", "return_per_pound"], 4) == round(3578.4541 / 3000, 4)
