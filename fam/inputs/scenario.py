"""The scenario file: a strict schema (unknown keys are errors) and its loader.

Paths inside a scenario are relative to the scenario file. Every error is one line naming
the file, the key path and what was expected.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from fam.errors import InputError
from fam.model.distributions import Dist, parse_dist
from fam.vocabulary import DAYS_PER_UNIT, Perspective, is_calendar_month, is_financial_year


def _dist(v: Any) -> Dist:
    return parse_dist(v)


DistField = Annotated[Dist, BeforeValidator(_dist), PlainSerializer(lambda d: d.to_spec())]


def _check_fy(v: Any) -> str:
    s = str(v)
    # one trailing line break is tolerated, as a `^...$` pattern tolerates it
    if not is_financial_year(s.removesuffix("\n")):
        raise ValueError(f"expected a UK financial year like 2024-25, got {v!r}")
    return s


FinancialYear = Annotated[str, BeforeValidator(_check_fy)]


def _check_month(v: Any) -> str:
    s = str(v)
    # one trailing line break is tolerated, as a `^...$` pattern tolerates it
    if not is_calendar_month(s.removesuffix("\n")):
        raise ValueError(f"expected a calendar month like 2013-04, got {v!r}")
    return s


Month = Annotated[str, BeforeValidator(_check_month)]


def _share(d: Dist, what: str) -> Dist:
    lo, hi = d.bounds()
    if lo < 0 or hi > 1:
        raise ValueError(f"{what} is a share between 0 and 1; got {d.describe()}")
    return d


def _non_negative(d: Dist, what: str) -> Dist:
    lo, _ = d.bounds()
    if lo < 0:
        raise ValueError(f"{what} must not be negative; got {d.describe()}")
    return d


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Discounting(Strict):
    rate: float = Field(
        0.035,
        ge=0,
        le=0.2,
        json_schema_extra={"label": "Discount rate (Green Book standard 3.5%)", "percent": True},
    )
    schedule: Literal["green_book", "constant"] = Field(
        "green_book", json_schema_extra={"label": "Discount schedule"}
    )


class Intake(Strict):
    months: int | None = Field(
        None,
        ge=1,
        le=600,
        json_schema_extra={"label": "Intake spread evenly over this many months"},
    )
    per_month: list[float] | None = Field(
        None, json_schema_extra={"label": "Or: clients starting in each month (list)"}
    )

    @model_validator(mode="after")
    def _one(self) -> Intake:
        if (self.months is None) == (self.per_month is None):
            raise ValueError("give either 'months' (spread evenly) or 'per_month' (a list)")
        if self.per_month is not None:
            if not self.per_month or any(x < 0 or x != x for x in self.per_month):
                raise ValueError("'per_month' must be a non-empty list of counts >= 0")
            if sum(self.per_month) <= 0:
                raise ValueError("'per_month' must start at least one client")
        return self


class Cohort(Strict):
    clients: str = Field(
        json_schema_extra={"label": "Client file (relative to the scenario folder)"}
    )
    service_use: str = Field(
        json_schema_extra={"label": "Service-use file (relative to the scenario folder)"}
    )
    baseline_months: int = Field(
        12,
        ge=1,
        le=120,
        json_schema_extra={"label": "Months before start that define baseline use"},
    )
    size: int | None = Field(
        None,
        gt=0,
        json_schema_extra={
            "label": "Clients to project (blank: as many as in the data)",
            "kind": "number",
        },
    )
    intake: Intake = Intake(months=1)
    # first date the data cover (history before it is unknown, not zero); default: the
    # earliest date in service_use.csv
    history_from: date | None = Field(
        None,
        json_schema_extra={
            "label": "First date the data cover (blank: unknown)",
            "template": False,
        },
    )
    # last date the data cover (follow-up after it is unknown); default: the latest date
    # in service_use.csv
    observed_to: date | None = Field(
        None,
        json_schema_extra={"label": "Last date the data cover (blank: unknown)", "template": False},
    )


class ProgrammeCosts(Strict):
    per_client: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Programme cost per client started (£)",
            "kind": "money",
            "lower": 0,
        },
    )
    per_client_month: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Programme cost per client-month (£)",
            "kind": "money",
            "lower": 0,
        },
    )
    per_completed_case: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Programme cost per completer (£)",
            "kind": "money",
            "lower": 0,
        },
    )
    fixed_per_year: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Fixed programme cost per year (£)",
            "kind": "money",
            "lower": 0,
        },
    )
    price_year: FinancialYear | None = Field(
        None,
        json_schema_extra={"label": "Price year of the programme costs", "kind": "financial_year"},
    )
    confidence: int = Field(
        2, ge=1, le=6, json_schema_extra={"label": "Confidence grade of the costs (optimism bias)"}
    )
    source: str = Field("", json_schema_extra={"label": "Source for this section"})

    @field_validator("per_client", "per_client_month", "per_completed_case", "fixed_per_year")
    @classmethod
    def _nn(cls, d: Dist) -> Dist:
        if d.price_year is not None:
            _check_fy(d.price_year)
        return _non_negative(d, "a programme cost")


ARROW = "->"


def is_pattern(key: str) -> bool:
    return any(ch in key for ch in "*?[")


class RateStep(Strict):
    """From relative month `from_month` on, use per client per month is `value`."""

    from_month: int = Field(ge=0, le=900)
    value: DistField

    @field_validator("value")
    @classmethod
    def _value(cls, d: Dist) -> Dist:
        return _non_negative(d, "a rate")


class ServiceForm(Strict):
    """The counterfactual form of one service (or of every service a pattern matches)."""

    trend: DistField | None = Field(
        None,
        json_schema_extra={
            "label": "This service's own trend (share of its baseline that falls away)"
        },
    )
    rate: list[RateStep] | Literal["comparison"] | None = None
    until_age: float | None = Field(
        None, ge=0, le=120, json_schema_extra={"label": "Age at which use of the service stops"}
    )
    source: str = Field("", json_schema_extra={"label": "Source for this service's form"})

    @field_validator("trend")
    @classmethod
    def _trend(cls, d: Dist | None) -> Dist | None:
        if d is None:
            return d
        lo, hi = d.bounds()
        if d.name == "normal":
            lo = hi = d.mean
        if lo < -1 or hi > 1:
            raise ValueError(
                f"trend is a share of baseline use between -1 and 1; got {d.describe()}"
            )
        return d

    @field_validator("rate")
    @classmethod
    def _steps(cls, v: Any) -> Any:
        if isinstance(v, list):
            if not v:
                raise ValueError("rate needs at least one step {from_month: 0, value: ...}")
            if v[0].from_month != 0:
                raise ValueError(
                    f"the first rate step must start at from_month 0, got {v[0].from_month}"
                )
            for a, b in zip(v, v[1:], strict=False):
                if b.from_month <= a.from_month:
                    raise ValueError(
                        "rate steps must be in strictly increasing from_month order; got "
                        f"{b.from_month} after {a.from_month}"
                    )
        return v

    @model_validator(mode="after")
    def _some(self) -> ServiceForm:
        if self.trend is not None and self.rate is not None:
            raise ValueError("give either 'trend' (own baseline) or 'rate' (absolute), not both")
        if self.trend is None and self.rate is None and self.until_age is None:
            raise ValueError("give 'trend', 'rate' or 'until_age'")
        return self


def _pair(key: str) -> tuple[str, str]:
    a, sep, b = key.partition(ARROW)
    if not sep or not a.strip() or not b.strip() or ARROW in b:
        raise ValueError(f"expected a transition 'from->to' such as home->residential, got {key!r}")
    return a.strip(), b.strip()


NO_SERVICE = "(no service)"  # how a workbook writes a placement state without a service


class Placements(Strict):
    """A monthly Markov chain over mutually exclusive placement states."""

    states: dict[str, str | None] = Field(min_length=2)  # state -> its service (None: none)

    @field_validator("states", mode="before")
    @classmethod
    def _no_service(cls, v: Any) -> Any:
        """A state with no service is null in a scenario file, NO_SERVICE in a workbook."""
        if isinstance(v, dict):
            return {k: None if x == NO_SERVICE else x for k, x in v.items()}
        return v

    start: Literal["data"] | dict[str, float] = "data"
    transitions: dict[str, dict[str, DistField]] | Literal["comparison"]
    until_age: float | None = Field(
        None, ge=0, le=120, json_schema_extra={"label": "Age at which placements stop"}
    )
    confidence: int | None = Field(
        None, ge=1, le=6, json_schema_extra={"label": "Evidence grade of the placement effects"}
    )
    source: str = Field("", json_schema_extra={"label": "Source for the placements"})

    @model_validator(mode="after")
    def _check(self) -> Placements:
        names = list(self.states)
        seen: dict[str, str] = {}
        for st, svc in self.states.items():
            if svc is None:
                continue
            if svc in seen:
                raise ValueError(
                    f"states.{st}: service {svc!r} is already the service of state "
                    f"{seen[svc]!r}; each state needs its own service"
                )
            seen[svc] = st
        if isinstance(self.start, dict):
            for k, v in self.start.items():
                if k not in self.states:
                    raise ValueError(f"start.{k}: not a state; expected one of {', '.join(names)}")
                if not 0 <= v <= 1:
                    raise ValueError(f"start.{k}: a share between 0 and 1, got {v}")
            tot = sum(self.start.values())
            if abs(tot - 1) > 1e-9:
                raise ValueError(f"start: the shares sum to {tot:.6g}; expected 1")
        if isinstance(self.transitions, dict):
            for a, row in self.transitions.items():
                if a not in self.states:
                    raise ValueError(
                        f"transitions.{a}: not a state; expected one of {', '.join(names)}"
                    )
                for b, d in row.items():
                    if b not in self.states:
                        raise ValueError(
                            f"transitions.{a}.{b}: not a state; expected one of {', '.join(names)}"
                        )
                    if b == a:
                        raise ValueError(
                            f"transitions.{a}.{b}: give moves to other states only; staying "
                            "takes the remainder"
                        )
                    _share(d, f"transitions.{a}.{b}")
                tot = sum(d.mean for d in row.values())
                if tot > 1 + 1e-12:
                    raise ValueError(
                        f"transitions.{a}: the moves out of {a!r} sum to {tot:.6g} at their "
                        "central values; monthly probabilities of leaving must not sum to "
                        "more than 1"
                    )
        return self

    def state_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.states)}

    def allowed(self, key: str) -> tuple[str, str]:
        """The states of a transition key 'from->to'; ValueError if it is not a listed
        transition (any pair of different states when transitions are estimated)."""
        a, b = _pair(key)
        for s in (a, b):
            if s not in self.states:
                raise ValueError(
                    f"{key}: {s!r} is not a state; expected one of {', '.join(self.states)}"
                )
        if a == b:
            raise ValueError(f"{key}: a transition is between two different states")
        if isinstance(self.transitions, dict) and b not in self.transitions.get(a, {}):
            raise ValueError(f"{key}: not a transition listed in placements.transitions")
        return a, b


class Counterfactual(Strict):
    trend: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Share of baseline use that falls away anyway",
            "lower": -1,
            "upper": 1,
        },
    )
    ramp_months: int = Field(
        12, ge=0, le=600, json_schema_extra={"label": "Months over which that fall is reached"}
    )
    # "assumed": the trend above; "comparison": the comparison arm in clients.csv gives the
    # trend (its observed change against its own baseline, bootstrapped)
    method: Literal["assumed", "comparison"] = Field(
        "assumed",
        json_schema_extra={"label": "assumed trend, or from a comparison arm", "template": False},
    )
    # per service or pattern: its own trend, an absolute rate, and/or ageing out (v2 forms)
    services: dict[str, ServiceForm] = Field(
        default_factory=dict, json_schema_extra={"template": False}
    )
    source: str = Field("", json_schema_extra={"label": "Source for this section"})

    @field_validator("trend")
    @classmethod
    def _trend(cls, d: Dist) -> Dist:
        lo, hi = d.bounds()
        if lo < -1 or hi > 1:
            raise ValueError(
                f"trend is a share of baseline use between -1 and 1; got {d.describe()}"
            )
        return d


class Effect(Strict):
    change: DistField = Field(
        json_schema_extra={"label": "Relative change in use (-0.25 = a quarter less)", "lower": -1}
    )
    onset_months: float = Field(
        0, ge=0, le=600, json_schema_extra={"label": "Months for the effect to build up"}
    )
    half_life_months: float | None = Field(
        None, gt=0, json_schema_extra={"label": "Months for the effect to halve after"}
    )
    confidence: int | None = Field(
        None,
        ge=1,
        le=6,
        json_schema_extra={
            "label": "Evidence grade of the effect, 1-6 (optimism bias; blank: none)",
            "template": False,
        },
    )
    source: str = Field("", json_schema_extra={"label": "Source for this effect"})

    @field_validator("change")
    @classmethod
    def _change(cls, d: Dist) -> Dist:
        lo, _ = d.bounds()
        if lo < -1:
            raise ValueError(
                f"change is relative (-0.25 = a quarter less) and cannot be below -1; got {d.describe()}"
            )
        return d


class Engagement(Strict):
    duration_months: int = Field(
        6, ge=1, le=600, json_schema_extra={"label": "Programme months per client"}
    )
    completion: DistField = Field(
        parse_dist(1),
        json_schema_extra={"label": "Share completing the programme", "lower": 0, "upper": 1},
    )
    non_completer_effect: DistField = Field(
        parse_dist(0),
        json_schema_extra={"label": "Effect for non-completers (share)", "lower": 0, "upper": 1},
    )
    source: str = Field("", json_schema_extra={"label": "Source for this section"})

    @field_validator("completion", "non_completer_effect")
    @classmethod
    def _shares(cls, d: Dist) -> Dist:
        return _share(d, "completion and non_completer_effect")


class OptimismBias(Strict):
    apply: bool = Field(
        True, json_schema_extra={"label": "Apply optimism bias by confidence grade"}
    )


class MonteCarlo(Strict):
    iterations: int = Field(
        10000, ge=1, le=10_000_000, json_schema_extra={"label": "Monte Carlo iterations"}
    )
    seed: int = Field(1, ge=0, json_schema_extra={"label": "Random seed"})
    bootstrap: bool = Field(True, json_schema_extra={"label": "Resample the cohort each iteration"})
    poisson: bool = Field(True, json_schema_extra={"label": "Poisson noise on counts"})
    parameter_uncertainty: bool = Field(
        True, json_schema_extra={"label": "Draw uncertain inputs", "template": False}
    )  # draw scenario inputs from their distributions
    unit_cost_uncertainty: bool = Field(
        True, json_schema_extra={"label": "Draw unit costs in their ranges", "template": False}
    )  # draw unit costs within their low-high ranges


class Update(Strict):
    """Update effects from the programme's own observed follow-up (docs/update.md)."""

    apply: bool = Field(
        False, json_schema_extra={"label": "Update effects from observed follow-up"}
    )
    min_follow_up_months: int = Field(
        1, ge=1, le=600, json_schema_extra={"label": "Minimum follow-up for the update"}
    )


class Correlation(Strict):
    """Equicorrelated Gaussian copula over a group of inputs (names or patterns)."""

    inputs: list[str] = Field(min_length=2)
    rho: float = Field(ge=0, le=1)
    source: str = ""


class SibComparisonRate(Strict):
    """A historical comparison rate in the contract's own units: exactly one of the two keys.

    `share_of_days`: the share of client-days spent in the outcome services (total care days
    / total client days, e.g. Essex's 55%); `days_per_client_month`: days per client per month.
    """

    share_of_days: float | None = Field(None, ge=0, le=1, allow_inf_nan=False, strict=True)
    days_per_client_month: float | None = Field(None, ge=0, allow_inf_nan=False, strict=True)

    @model_validator(mode="after")
    def _one(self) -> SibComparisonRate:
        given = [
            k for k in ("share_of_days", "days_per_client_month") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of share_of_days (share of client-days in the outcome "
                f"services, 0 to 1) or days_per_client_month; got {', '.join(given) or 'neither'}"
            )
        return self

    @model_serializer(mode="wrap")
    def _as_written(self, handler: Any) -> Any:
        return {k: v for k, v in handler(self).items() if v is not None}

    @property
    def days_per_month(self) -> float:
        """Days per client per month (a share of days x 365/12 days in a month)."""
        if self.share_of_days is not None:
            return self.share_of_days * DAYS_PER_UNIT["month"]
        assert self.days_per_client_month is not None
        return self.days_per_client_month


# tags of a tagged union appear in pydantic's error locations; _loc leaves them out
_TAG = "tagged-union-"


def _comparison_form(v: Any) -> str:
    if isinstance(v, dict | SibComparisonRate):
        return f"{_TAG}mapping"
    if v == "counterfactual":
        return f"{_TAG}counterfactual"
    return f"{_TAG}number"


def _comparison_number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, float | int) or not v >= 0:
        raise ValueError(
            "expected days per client per month for the comparison group (a number >= 0), "
            "{share_of_days: S} (share of client-days, 0 to 1), {days_per_client_month: X} "
            f"or 'counterfactual'; got {v!r}"
        )
    return float(v)


SibComparison = Annotated[
    Annotated[Literal["counterfactual"], Tag(f"{_TAG}counterfactual")]
    | Annotated[float, BeforeValidator(_comparison_number), Tag(f"{_TAG}number")]
    | Annotated[SibComparisonRate, Tag(f"{_TAG}mapping")],
    Discriminator(_comparison_form),
]


class SibOutcome(Strict):
    """The outcome a social impact bond pays for: days of use saved (see docs/sib.md)."""

    # service codes or patterns (e.g. care_week_*) measured in time units (night, day, week,
    # month, year); converted to days (a week is 7 days)
    services: list[str] = Field(min_length=1)
    # the comparison, in the contract's units: days per client per month for a historical
    # comparison group (a number or {days_per_client_month: X}), the group's share of
    # client-days in the outcome services ({share_of_days: S}, S x 365/12 days a month), or
    # "counterfactual" to use fam's own counterfactual for the same clients
    comparison: SibComparison
    tracking_months: int = Field(30, ge=1, le=600)  # from each client's start month
    cohort_months: int = Field(3, ge=1, le=120)  # intake cohorts: clients starting together
    source: str = ""

    @property
    def comparison_days_per_month(self) -> float | None:
        """The comparison in days per client per month; None for fam's counterfactual."""
        c = self.comparison
        if c == "counterfactual":
            return None
        return c.days_per_month if isinstance(c, SibComparisonRate) else float(c)


class Sib(Strict):
    """A social impact bond: investors fund the service, the commissioner pays for outcomes."""

    investor_capital: float = Field(
        ge=0, json_schema_extra={"label": "SIB investor capital (£)"}
    )  # £ available to fund programme costs
    cap: float | None = Field(
        None, ge=0, json_schema_extra={"label": "SIB cap on outcome payments (£)"}
    )  # £ limit on total outcome payments (None: no cap)
    price_per_day: DistField = Field(
        json_schema_extra={
            "label": "SIB outcome price per day saved (£)",
            "kind": "money",
            "lower": 0,
        }
    )  # £ per outcome day saved; may be uncertain
    price_year: FinancialYear | None = Field(
        None,
        json_schema_extra={
            "label": "Price year of the £ inputs in this section",
            "kind": "financial_year",
        },
    )  # of capital, cap and price (default: base year)
    payment_years: int = Field(
        ge=1, le=75, json_schema_extra={"label": "SIB payment years"}
    )  # payments fall due only in this many years
    payment_lag_quarters: int = Field(
        1, ge=0, le=40, json_schema_extra={"label": "SIB payment lag (quarters)"}
    )  # paid this many quarters in arrears
    outcome: SibOutcome
    source: str = Field("", json_schema_extra={"label": "Source for this section"})

    @field_validator("price_per_day")
    @classmethod
    def _price(cls, d: Dist) -> Dist:
        if d.price_year is not None:
            _check_fy(d.price_year)
        return _non_negative(d, "sib.price_per_day")


class Outputs(Strict):
    dir: str | None = Field(
        None, json_schema_extra={"label": "Output folder (relative to the working directory)"}
    )


class Scenario(Strict):
    name: str = Field(min_length=1, json_schema_extra={"label": "Scenario name"})
    description: str = Field(
        "",
        json_schema_extra={
            "label": "What the programme is and whom it serves",
            "template": "blank",
        },
    )
    programme: Literal["mst", "wraparound", "link_worker", "custom"] = Field(
        "custom", json_schema_extra={"label": "Programme type"}
    )
    price_base_year: FinancialYear = Field(
        json_schema_extra={
            "label": "Price base year: all £ are in this year's prices",
            "kind": "financial_year",
        }
    )
    start: Month = Field(
        json_schema_extra={
            "label": "First calendar month of the appraisal (YYYY-MM)",
            "kind": "month",
        }
    )
    horizon_years: int = Field(
        ge=1, le=75, json_schema_extra={"label": "Appraisal period in years"}
    )
    period: Literal["month", "quarter", "year"] = Field(
        "year", json_schema_extra={"label": "Reporting period"}
    )
    discounting: Discounting = Discounting()
    perspective: Perspective = Field("fiscal", json_schema_extra={"label": "Headline perspective"})
    unit_costs: list[str] = Field(
        min_length=1,
        json_schema_extra={"label": "Unit-cost tables (paths relative to the scenario folder)"},
    )
    cohort: Cohort
    programme_costs: ProgrammeCosts = ProgrammeCosts()
    counterfactual: Counterfactual = Counterfactual()
    effects: dict[str, Effect] = Field(default_factory=dict)
    # a monthly chain of placement states (v2); its effects are written under
    # effects.placements and held here, keyed 'from->to'
    placements: Placements | None = Field(None, json_schema_extra={"template": False})
    placement_effects: dict[str, Effect] = Field(
        default_factory=dict, json_schema_extra={"template": False, "workbook": False}
    )
    engagement: Engagement = Engagement()
    optimism_bias: OptimismBias = OptimismBias()
    monte_carlo: MonteCarlo = MonteCarlo()
    outputs: Outputs = Outputs()
    sources: dict[str, str] = Field(
        default_factory=dict, json_schema_extra={"label": "Source for this key", "template": False}
    )
    sib: Sib | None = Field(None, json_schema_extra={"template": False})
    correlations: list[Correlation] = Field(
        default_factory=list,
        json_schema_extra={"label": "Correlated input groups (list)", "template": False},
    )
    update: Update = Field(default_factory=lambda: Update(), json_schema_extra={"template": False})

    @model_validator(mode="before")
    @classmethod
    def _placement_effects(cls, data: Any) -> Any:
        """effects.placements (transition 'from->to' -> effect) is held as placement_effects."""
        if not isinstance(data, dict):
            return data
        if "placement_effects" in data:
            raise ValueError(
                "placement_effects: unknown key; effects on transitions go under effects.placements"
            )
        eff = data.get("effects")
        if isinstance(eff, dict) and "placements" in eff:
            data = dict(data)
            eff = dict(eff)
            data["placement_effects"] = eff.pop("placements")
            data["effects"] = eff
        return data

    @model_validator(mode="after")
    def _placement_keys(self) -> Scenario:
        for key in self.placement_effects:
            if self.placements is None:
                raise ValueError(f"effects.placements.{key}: there is no placements block")
            self.placements.allowed(key)
        return self

    @property
    def uses_forms(self) -> bool:
        """Whether the scenario uses per-service counterfactual forms or placements (v2)."""
        return bool(self.counterfactual.services) or self.placements is not None

    @property
    def horizon_months(self) -> int:
        return self.horizon_years * 12


def _key(x: Any) -> str:
    """A key path part as written, or quoted if it is not a plain word (one line always)."""
    s = str(x)
    return s if re.fullmatch(r"[\w*?\[\]-]+", s) else repr(s)


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(_key(x) for x in loc if not str(x).startswith(("function-", _TAG)))


def format_validation_error(path: Path | str, err: ValidationError) -> str:
    errors = err.errors()
    # an unknown key is usually a misspelt one, which also makes a required key "missing":
    # report the unknown key first
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _loc(first["loc"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see docs/scenario.md for the keys)"
    elif first["type"] == "missing":
        # every missing key at once, so a blank scenario is filled in one pass, not one a run
        missing = list(dict.fromkeys(_loc(e["loc"]) for e in errors if e["type"] == "missing"))
        if len(missing) > 1:
            return f"{path}: required keys are missing: {', '.join(missing)}"
        msg = "required key is missing"
    msg = msg.removeprefix("Value error, ")
    where = f"{path}: {loc}: " if loc else f"{path}: "
    return where + msg


def parse_scenario(data: Any, path: Path | str = "<scenario>") -> Scenario:
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of scenario keys at the top level")
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise InputError(format_validation_error(path, e)) from None


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader (plain data only: no Python objects, no tags) refusing duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable: the base class reports it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _yaml_problem(e: yaml.YAMLError) -> str:
    problem = " ".join(str(getattr(e, "problem", None) or str(e)).split())
    if isinstance(e, yaml.constructor.ConstructorError):
        tag = re.search(r"constructor for the tag '([^']*)'", problem)
        if tag:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            return f"YAML tag {name!r} is not allowed; a scenario holds plain data only (no tags)"
        return problem
    return f"YAML syntax error: {problem}"


def read_yaml(path: Path) -> Any:
    """Read a YAML file safely (plain data only, duplicate keys refused); one-line errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a scenario file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected scenario keys")
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: {line}{_yaml_problem(e)}") from None
    except RecursionError:
        raise InputError(f"{path}: YAML nested too deeply; expected scenario keys") from None
    if data is None:
        raise InputError(f"{path}: the file is empty (only comments); expected scenario keys")
    return data


def load_scenario_file(path: str | Path) -> Scenario:
    p = Path(path)
    return parse_scenario(read_yaml(p), p)


def canonical_json(sc: Scenario) -> str:
    """The validated scenario as canonical JSON (the same for a YAML file and its workbook)."""
    import json

    return json.dumps(sc.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
