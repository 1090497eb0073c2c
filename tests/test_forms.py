"""Counterfactual forms (v2): hand-worked checks of the array building blocks and the schema.

Every expected number is worked in the comments so that it can be checked with a
calculator. States in the chain examples: 0 = home, 1 = care (2 = residential where used).
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from fam.errors import InputError
from fam.inputs.forms_schema import (
    CounterfactualV2,
    EffectsV2,
    Placements,
    ServiceForm,
    check_forms,
    resolve_services,
    validate_forms,
)
from fam.inputs.scenario import format_validation_error
from fam.model.forms import (
    NO_CUT,
    age_cut_month,
    age_mask,
    asymmetric_optimism_bias,
    chain_counterfactual,
    chain_programme,
    estimate_rates,
    estimate_transitions,
    month_in_unit,
    monthly_states,
    one_hot,
    profile_matrix,
    rate_steps,
    start_state_from_spells,
    state_use,
)

# ----------------------------------------------------------------------------- rate steps


def test_rate_steps_summed_over_two_years():
    # 0.50 a month in months 0..11, 0.30 from month 12: 12 x 0.5 + 12 x 0.3 = 6 + 3.6 = 9.6
    t = np.arange(24)
    r = rate_steps([0, 12], [0.5, 0.3], t)
    assert r[0] == 0.5 and r[11] == 0.5 and r[12] == 0.3 and r[23] == 0.3
    assert r.sum() == pytest.approx(9.6)
    # before the start month nothing is used
    assert rate_steps([0, 12], [0.5, 0.3], np.array([-1]))[0] == 0.0


def test_rate_steps_with_a_drawn_step():
    # second step drawn per iteration: 0.3 and 0.4 -> 6 + 3.6 = 9.6 and 6 + 4.8 = 10.8
    r = rate_steps([0, 12], [0.5, np.array([0.3, 0.4])], np.arange(24))
    assert r.shape == (2, 24)
    assert r.sum(axis=1) == pytest.approx([9.6, 10.8])


def test_rate_steps_must_start_at_zero_and_increase():
    with pytest.raises(ValueError, match="month 0"):
        rate_steps([1, 12], [0.5, 0.3], np.arange(3))
    with pytest.raises(ValueError, match="increasing"):
        rate_steps([0, 12, 12], [0.5, 0.3, 0.2], np.arange(3))


# ----------------------------------------------------------------------------- units


def test_one_month_in_each_unit():
    # a month is 365/12 = 30.4167 days
    assert month_in_unit("night") == pytest.approx(365 / 12)
    assert month_in_unit("day") == pytest.approx(30.416667, abs=1e-6)
    assert month_in_unit("week") == pytest.approx(365 / 84)  # 30.4167 / 7 = 4.3452
    assert month_in_unit("month") == 1.0
    assert month_in_unit("year") == pytest.approx(1 / 12)
    with pytest.raises(InputError, match="per event"):
        month_in_unit("event")


# ----------------------------------------------------------------------------- age cut


def test_ageing_out_mid_horizon():
    # 17.25 -> 18: 12 x 0.75 = 9 months, so months 0..8 are used and month 9 on is not
    # 17.30 -> 18: 12 x 0.70 = 8.4, rounded up to 9
    # 19 is already past 18: cut from month 0; no age: never cut, and counted
    cut = age_cut_month(np.array([17.25, 17.3, 19.0, np.nan]), 18)
    assert cut.months.tolist() == [9, 9, 0, NO_CUT]
    assert cut.without_age == 1
    m = age_mask(cut.months, np.arange(12))
    assert m.sum(axis=1).tolist() == [9, 9, 0, 12]
    assert m[0, 8] == 1 and m[0, 9] == 0


# ----------------------------------------------------------------------------- chain


P2 = np.array([[0.0, 0.1], [0.2, 0.0]])  # home -> care 0.1 a month, care -> home 0.2


def test_two_state_chain_over_three_months():
    # x0 = [1, 0] (everyone at home)
    # x1 = [1 - 0.1, 0.1] = [0.9, 0.1]
    # x2 = [0.9 x 0.9 + 0.1 x 0.2, 0.9 x 0.1 + 0.1 x 0.8] = [0.83, 0.17]
    x = chain_counterfactual(np.array([1.0, 0.0]), P2, 3)
    assert x.shape == (3, 2)
    assert x.tolist() == pytest.approx(np.array([[1, 0], [0.9, 0.1], [0.83, 0.17]]))
    # care counted in weeks: (0 + 0.1 + 0.17) x 365/84 = 0.27 x 4.345238 = 1.173214 weeks
    use = state_use(x, [0.0, month_in_unit("week")])
    assert use[:, 1].sum() == pytest.approx(1.173214, abs=1e-6)
    assert use[:, 0].sum() == 0.0


def test_chain_iterations_and_clients_axes():
    # two iterations (the second with no moves) and two clients (home, care)
    p = np.stack([P2, np.zeros((2, 2))])
    x = chain_counterfactual(one_hot(np.array([0, 1]), 2), p, 3)
    assert x.shape == (2, 2, 3, 2)  # [i, c, t, S]
    assert x[0, 0].tolist() == pytest.approx(np.array([[1, 0], [0.9, 0.1], [0.83, 0.17]]))
    # client in care: x1 = [0.2, 0.8]; x2 = [0.2 x 0.9 + 0.8 x 0.2, 0.2 x 0.1 + 0.8 x 0.8]
    #   = [0.18 + 0.16, 0.02 + 0.64] = [0.34, 0.66]
    assert x[0, 1].tolist() == pytest.approx(np.array([[0, 1], [0.2, 0.8], [0.34, 0.66]]))
    assert x[1, 1].tolist() == pytest.approx(np.array([[0, 1], [0, 1], [0, 1]]))


def test_effect_on_a_transition():
    # change -0.5 on home -> care, profile 1, e = 0.8:
    #   p = 0.1 x (1 - 0.5 x 1 x 0.8) = 0.1 x 0.6 = 0.06
    # x1 = [0.94, 0.06]
    # x2 = [0.94 x 0.94 + 0.06 x 0.2, 0.94 x 0.06 + 0.06 x 0.8] = [0.8956, 0.1044]
    change = np.array([[0.0, -0.5], [0.0, 0.0]])
    x = chain_programme(np.array([1.0, 0.0]), P2, change, np.ones(3), 0.8, 3, central=True)
    assert x.tolist() == pytest.approx(np.array([[1, 0], [0.94, 0.06], [0.8956, 0.1044]]))
    # e per iteration [1, 0.8]: p = 0.1 x 0.5 = 0.05 and 0.06
    x = chain_programme(
        np.array([1.0, 0.0]), P2, change, np.ones(3), np.array([1.0, 0.8]), 3, central=False
    )
    assert x.shape == (2, 3, 2)
    assert x[:, 1, 1].tolist() == pytest.approx([0.05, 0.06])
    # a profile per duration [d, t]: the second duration has no effect (profile 0), so it
    # equals the counterfactual
    prof = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    x = chain_programme(np.array([1.0, 0.0]), P2, change, prof, 0.8, 3, central=True)
    assert x.shape == (2, 3, 2)
    assert x[1].tolist() == pytest.approx(np.array([[1, 0], [0.9, 0.1], [0.83, 0.17]]))
    assert x[0, 2].tolist() == pytest.approx([0.8956, 0.1044])


def test_effect_follows_the_profile():
    # onset 2 months: rise = 0, 0.5, 1 in months 0, 1, 2. With change -0.5, e = 1:
    #   month 0: p = 0.1; month 1: p = 0.1 x (1 - 0.25) = 0.075
    # x1 = [0.9, 0.1]; x2 = [0.9 x 0.925 + 0.1 x 0.2, 0.9 x 0.075 + 0.1 x 0.8]
    #   = [0.8325 + 0.02, 0.0675 + 0.08] = [0.8525, 0.1475]
    prof = profile_matrix(3, 2.0, [6], None)
    assert prof.tolist() == [[0.0, 0.5, 1.0]]
    change = np.array([[0.0, -0.5], [0.0, 0.0]])
    x = chain_programme(np.array([1.0, 0.0]), P2, change, prof[0], 1.0, 3, central=True)
    assert x[2].tolist() == pytest.approx([0.8525, 0.1475])


def test_move_capped_at_one():
    # p = 0.6 with change +1: 0.6 x 2 = 1.2, capped to 1: everyone leaves home in month 0
    p = np.array([[0.0, 0.6], [0.0, 0.0]])
    change = np.array([[0.0, 1.0], [0.0, 0.0]])
    x = chain_programme(np.array([1.0, 0.0]), p, change, np.ones(2), 1.0, 2, central=True)
    assert x[1].tolist() == pytest.approx([0.0, 1.0])


P3 = np.array([[0.0, 0.5, 0.3], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # home -> foster, residential
CH3 = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # doubles home -> foster


def test_row_over_one_is_scaled_in_a_draw():
    # home -> foster 0.5 x 2 = 1.0 (at the cap), home -> residential 0.3: moves 1.3 > 1.
    # In a draw the row is scaled to 1: foster 1/1.3 = 0.769231, residential 0.3/1.3 =
    # 0.230769, stay 0
    x = chain_programme(np.array([1.0, 0, 0]), P3[None], CH3, np.ones(2), 1.0, 2, central=False)
    assert x.shape == (1, 2, 3)
    assert x[0, 1].tolist() == pytest.approx([0.0, 0.769231, 0.230769], abs=1e-6)


def test_row_over_one_is_an_error_in_the_central_case():
    states = ["home", "foster", "residential"]
    with pytest.raises(InputError, match=r"transitions\.home: .* sum to 1\.3"):
        chain_programme(np.array([1.0, 0, 0]), P3, CH3, np.ones(2), 1.0, 2, True, states)
    # without the programme: foster -> home 0.6 and foster -> residential 0.5, 1.1 in all
    p = np.array([[0.0, 0.0, 0.0], [0.6, 0.0, 0.5], [0.0, 0.0, 0.0]])
    with pytest.raises(InputError, match=r"transitions\.foster: .* sum to 1\.1"):
        chain_counterfactual(np.array([0.0, 1.0, 0.0]), p, 2, states=states)


# ----------------------------------------------------------------------------- states from data


def _spells():
    # client 0 starts 2020-01-15, fostered 2020-01-01 .. 2020-03-01 (end exclusive)
    # client 1 starts 2020-01-31, in residential care for the night of 2020-02-29 only
    # client 2 starts 2020-01-10, no spells
    start = np.array(["2020-01-15", "2020-01-31", "2020-01-10"], dtype="datetime64[D]")
    cl = np.array([0, 1])
    st = np.array([1, 2])
    a = np.array(["2020-01-01", "2020-02-29"], dtype="datetime64[D]")
    b = np.array(["2020-03-01", "2020-03-01"], dtype="datetime64[D]")
    return start, cl, st, a, b


def test_start_state_from_spells():
    # client 0: the foster spell covers 2020-01-15 -> foster (1); others: first state (home)
    start, cl, st, a, b = _spells()
    state, ties = start_state_from_spells(start, cl, st, a, b, 3)
    assert state.tolist() == [1, 0, 0]
    assert ties == 0


def test_monthly_states_on_the_first_day_of_each_month():
    # client 0: months start 01-15 (foster), 02-15 (foster), 03-15 (spell over: home)
    # client 1: months start 01-31, 02-29 (clipped to the month's end: residential), 03-31
    start, cl, st, a, b = _spells()
    state, ties = monthly_states(start, cl, st, a, b, 3, 3)
    assert state.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]
    assert ties == 0


def test_overlapping_states_take_the_first_listed():
    start = np.array(["2020-01-15"], dtype="datetime64[D]")
    a = np.array(["2020-01-01", "2020-01-10"], dtype="datetime64[D]")
    b = np.array(["2020-02-01", "2020-02-01"], dtype="datetime64[D]")
    state, ties = start_state_from_spells(start, np.array([0, 0]), np.array([2, 1]), a, b, 3)
    assert state.tolist() == [1] and ties == 1


# ----------------------------------------------------------------------------- estimation

# Three comparison clients over months 0..3 (X: after the end of their data):
#   use          observed
#   c0: 1 0 2 1  all four months
#   c1: 0 1 1 X  months 0..2
#   c2: 2 0 X X  months 0..1
# exposure by month = 3, 3, 2, 1; counts = 3, 1, 3, 1; rates = 1, 1/3, 1.5, 1
USE = np.array([[1, 0, 2, 1], [0, 1, 1, 5], [2, 0, 9, 9]], dtype=float)
OBS = np.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)


def test_estimate_rates_by_hand():
    est = estimate_rates(USE, OBS)
    assert est.exposure.tolist() == [3, 3, 2, 1]
    assert est.count[0].tolist() == [3, 1, 3, 1]
    assert est.rate[0].tolist() == pytest.approx([1, 1 / 3, 1.5, 1])
    assert est.mean() == pytest.approx(est.rate)


def test_estimate_rates_month_without_data_takes_the_last():
    # month 4: nobody observed -> the month 3 estimate, 1 / 1 = 1
    use = np.c_[USE, np.zeros(3)]
    obs = np.c_[OBS, np.zeros(3, dtype=bool)]
    est = estimate_rates(use, obs)
    assert est.source_month.tolist() == [0, 1, 2, 3, 3]
    assert est.rate[0, 4] == 1.0
    d = est.draw(np.full((2, 1, 5), 0.3))
    assert d[:, 0, 4].tolist() == d[:, 0, 3].tolist()
    with pytest.raises(InputError, match="start month"):
        estimate_rates(USE, np.zeros_like(OBS))


def test_rate_draws_have_the_estimate_as_mean():
    # month 0: Gamma(shape 3, scale 1/3): mean 1, sd sqrt(3)/3 = 0.57735;
    # a zero count (a month with no use) is 0 in every draw
    use = USE.copy()
    use[:, 1] = 0.0
    est = estimate_rates(use, OBS)
    rng = np.random.default_rng(5)
    n = 40_000
    d = est.draw(rng.random((n, 1, 4)))
    assert (d[:, 0, 1] == 0).all()
    sd = np.sqrt(est.count[0] / est.exposure**2)  # Gamma sd = sqrt(shape) x scale
    for t in (0, 2, 3):
        assert abs(d[:, 0, t].mean() - est.rate[0, t]) < 3 * sd[t] / np.sqrt(n)
    assert est.mean()[0].tolist() == pytest.approx([1, 0, 1.5, 1], abs=1e-15)


# Monthly states of the same three clients (0 home, 1 care):
#   c0: 0 0 1 1   pairs (t, t+1) observed: 0->0, 0->1, 1->1
#   c1: 0 1 0 X   0->1, 1->0
#   c2: 1 1 X X   1->1
# home: 3 client-months followed by an observed month, 2 moves to care -> 2/3
# care: 3 client-months, 1 move home -> 1/3
STATES = np.array([[0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 0, 0]])


def test_estimate_transitions_by_hand():
    est = estimate_transitions(STATES, OBS, 2)
    assert est.alpha.tolist() == [[1, 2], [1, 2]]
    assert est.exposure.tolist() == [3, 3]
    assert est.p.tolist() == pytest.approx(np.array([[1 / 3, 2 / 3], [1 / 3, 2 / 3]]))
    assert est.unobserved.tolist() == []


def test_transition_draws_have_the_estimate_as_mean():
    # home row: Beta(moves 2, stays 1): mean 2/3, sd sqrt(2 x 1 / (3^2 x 4)) = 0.235702
    est = estimate_transitions(STATES, OBS, 2)
    n = 40_000
    d = est.draw(np.random.default_rng(3).random((n, 2, 2)))
    assert d.sum(axis=-1) == pytest.approx(np.ones((n, 2)))
    se = np.sqrt(2 / (9 * 4)) / np.sqrt(n)
    assert abs(d[:, 0, 1].mean() - 2 / 3) < 3 * se
    assert abs(d[:, 1, 0].mean() - 1 / 3) < 3 * se
    assert est.mean().tolist() == pytest.approx(
        np.array([[1 / 3, 2 / 3], [1 / 3, 2 / 3]]), abs=1e-15
    )


def test_transitions_edge_cases():
    # three states; nobody ever in state 2 (unobserved: it keeps everyone, in every draw);
    # nobody ever leaves care (1): its move count 0 is 0 in every draw
    states = np.array([[0, 1, 1], [1, 1, 1]])
    obs = np.ones((2, 3), dtype=bool)
    est = estimate_transitions(states, obs, 3)
    # home: 1 month, 1 move to care; care: 3 months, 3 stays
    assert est.alpha.tolist() == [[0, 1, 0], [0, 3, 0], [0, 0, 0]]
    assert est.unobserved.tolist() == [2]
    assert est.p.tolist() == [[0, 1, 0], [0, 1, 0], [0, 0, 1]]
    d = est.draw(np.random.default_rng(1).random((50, 3, 3)))
    assert (d == est.p).all()


# ----------------------------------------------------------------------------- optimism bias


def test_asymmetric_optimism_bias():
    # cost increase: -100 x (1 + 0.1) x (1 + 0.2) = -132
    # saving:         100 x (1 - 0.1) x (1 - 0.2) = 72
    # row 2 (no effect grade, unit cost grade 0.05): 200 x 0.95 = 190
    s = np.array([[[-100.0, 100.0], [200.0, 0.0]]])  # [i, r, y]
    out = asymmetric_optimism_bias(s, np.array([0.1, 0.05]), np.array([0.2, 0.0]))
    assert out.tolist() == pytest.approx(np.array([[[-132.0, 72.0], [190.0, 0.0]]]))


# ----------------------------------------------------------------------------- schema

UNITS = {
    "court_youth": "event",
    "ae_attendance": "event",
    "care_week_residential": "week",
    "care_week_foster": "week",
    "foster_week_ifa": "week",
}

CF = {
    "trend": {"dist": "beta", "mean": 0.3, "sd": 0.1},
    "ramp_months": 12,
    "services": {
        "court_youth": {"trend": 0.1},
        "ae_attendance": {
            "rate": [
                {"from_month": 0, "value": 0.5},
                {"from_month": 12, "value": {"dist": "normal", "mean": 0.3, "sd": 0.05}},
            ]
        },
        "care_week_*": {"until_age": 18},
    },
}
PL = {
    "states": {"home": None, "foster": "foster_week_ifa", "residential": "care_week_residential"},
    "start": "data",
    "transitions": {
        "home": {"foster": 0.02, "residential": {"dist": "beta", "mean": 0.01, "sd": 0.003}},
        "foster": {"home": 0.04},
        "residential": {"home": 0.03, "foster": 0.02},
    },
    "until_age": 18,
    "confidence": 3,
}
EF = {
    "ae_attendance": {"change": -0.2, "confidence": 2},
    "placements": {
        "home->residential": {
            "change": {"dist": "normal", "mean": -0.4, "sd": 0.15},
            "onset_months": 0,
            "half_life_months": 36,
        }
    },
}


def _msg(model, data) -> str:
    with pytest.raises(ValidationError) as e:
        model.model_validate(data)
    return format_validation_error("s.yaml", e.value)


def test_the_contract_example_validates():
    cf, pl, ef = validate_forms(CF, PL, EF)
    assert pl is not None
    check_forms(cf, pl, ef, UNITS)
    assert cf.services["court_youth"].trend is not None
    assert ef.services["ae_attendance"].confidence == 2
    assert ef.placements["home->residential"].half_life_months == 36
    forms = resolve_services(cf, sorted(UNITS), states={"care_week_residential"})
    assert forms["care_week_foster"][0] == "care_week_*"
    assert forms["care_week_residential"][1].until_age == 18
    assert "foster_week_ifa" not in forms
    # shares as a start
    p = Placements.model_validate({**PL, "start": {"home": 0.9, "foster": 0.1}})
    assert p.start == {"home": 0.9, "foster": 0.1}


def test_schema_errors_name_the_key():
    svc = {"rate": [{"from_month": 1, "value": 0.5}]}
    assert "s.yaml: services.x.rate: the first rate step must start at from_month 0" in _msg(
        CounterfactualV2, {"services": {"x": svc}}
    )
    steps = {"rate": [{"from_month": 0, "value": 0.5}, {"from_month": 0, "value": 0.3}]}
    assert "strictly increasing" in _msg(CounterfactualV2, {"services": {"x": steps}})
    assert "not both" in _msg(ServiceForm, {"trend": 0.1, "rate": "comparison"})
    assert "unknown key" in _msg(ServiceForm, {"trend": 0.1, "ramp": 3})
    assert "unknown key" in _msg(Placements, {**PL, "stat": "data"})
    assert "ae.confidence" in _msg(EffectsV2, {"ae": {"change": -0.1, "confidence": 7}})
    assert "from->to" in _msg(EffectsV2, {"placements": {"home-residential": {"change": -0.1}}})


def test_moves_over_one_at_central_values_name_the_row():
    bad = {**PL, "transitions": {"home": {"foster": 0.7, "residential": 0.4}}}
    msg = _msg(Placements, bad)
    assert "transitions.home: the moves out of 'home' sum to 1.1" in msg


def test_transitions_only_between_listed_states():
    assert "transitions.home.kin: not a state" in _msg(
        Placements, {**PL, "transitions": {"home": {"kin": 0.1}}}
    )
    assert "staying takes the remainder" in _msg(
        Placements, {**PL, "transitions": {"home": {"home": 0.1}}}
    )
    assert "shares sum to 0.9" in _msg(Placements, {**PL, "start": {"home": 0.9}})


def test_checks_against_the_unit_lookup():
    cf, pl, ef = validate_forms(CF, PL, EF)
    event_state = Placements.model_validate(
        {**PL, "states": {"home": None, "court": "court_youth"}, "transitions": "comparison"}
    )
    with pytest.raises(InputError, match=r"placements\.states\.court: .* counted per event"):
        check_forms(cf, event_state, ef.model_copy(update={"placements": {}}), UNITS)
    unknown = Placements.model_validate(
        {**PL, "states": {"home": None, "kin": "kin_night"}, "transitions": "comparison"}
    )
    with pytest.raises(InputError, match="unknown service 'kin_night'"):
        check_forms(cf, unknown, ef.model_copy(update={"placements": {}}), UNITS)
    nomatch = CounterfactualV2.model_validate({"services": {"custody_*": {"until_age": 18}}})
    with pytest.raises(InputError, match=r"custody_\*: the pattern matches no service"):
        check_forms(nomatch, pl, ef, UNITS)
    on_state = CounterfactualV2.model_validate({"services": {"foster_week_ifa": {"trend": 0.1}}})
    with pytest.raises(InputError, match="placement state's service"):
        check_forms(on_state, pl, ef, UNITS)
    unlisted = EffectsV2.model_validate({"placements": {"foster->residential": {"change": -0.1}}})
    with pytest.raises(InputError, match="not a transition listed"):
        check_forms(cf, pl, unlisted, UNITS)
    # with estimated transitions any pair of different listed states may have an effect
    est = Placements.model_validate({**PL, "transitions": "comparison"})
    check_forms(cf, est, unlisted, UNITS)
    with pytest.raises(InputError, match="no placements block"):
        check_forms(cf, None, ef, UNITS)
