"""The scenario file: a strict schema (unknown keys are errors) and its loader.

Paths inside a scenario are relative to the scenario file. Every error is one line naming
the file, the key path and what was expected.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

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
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from fam.errors import InputError, echo
from fam.inputs.files import read_input_bytes
from fam.model.distributions import Dist, parse_dist
from fam.vocabulary import DAYS_PER_UNIT, Perspective, is_calendar_month, is_financial_year


def _dist(v: Any) -> Dist:
    return parse_dist(v)


DistField = Annotated[Dist, BeforeValidator(_dist), PlainSerializer(lambda d: d.to_spec())]


def _check_fy(v: Any) -> str:
    s = str(v)
    # one trailing line break is tolerated, as a `^...$` pattern tolerates it
    if not is_financial_year(s.removesuffix("\n")):
        raise ValueError(f"expected a UK financial year like 2024-25, got {echo(v)}")
    return s


FinancialYear = Annotated[str, BeforeValidator(_check_fy)]


def _check_month(v: Any) -> str:
    s = str(v)
    # one trailing line break is tolerated, as a `^...$` pattern tolerates it
    if not is_calendar_month(s.removesuffix("\n")):
        raise ValueError(f"expected a calendar month like 2013-04, got {echo(v)}")
    if not YEARS[0] <= int(s[:4]) <= YEARS[1]:
        raise ValueError(f"expected a month in the years {YEARS[0]} to {YEARS[1]}, got {echo(s)}")
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


# Limits every scenario value is held to, whichever model holds it (see Strict).
MAX_NUMBER = 1e15  # no appraisal input is larger; £1e308 overflows to infinity when summed
MAX_TEXT = 32_767  # the most characters an Excel cell holds (the workbook stores each text)
MAX_NAME = 200  # a scenario name is a title (it heads every page of the briefing)
MAX_CLIENTS = 1_000_000  # assumption: 17 times the national-scale example (docs/scaling.md)
YEARS = (1900, 2099)  # plausible calendar years, as for the dates in cohort files


def _no_bool_allowed(annotation: Any) -> bool | None:
    """True if a field of this type must hold no booleans anywhere in its value, False if
    booleans are allowed, None if it holds another model (which checks itself)."""
    if annotation is bool:
        return False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None
    out: bool | None = True
    for arg in get_args(annotation):
        if isinstance(arg, type) or get_args(arg):
            inner = _no_bool_allowed(arg)
            if inner is None:
                return None
            out = out and inner
    return out


def _check_values(v: Any, where: str, no_bool: bool, what: str = "a number") -> None:
    """Refuse booleans (where numbers are meant), non-finite or huge numbers and texts
    longer than a workbook cell, anywhere inside a value."""
    if isinstance(v, bool):
        if no_bool:
            raise ValueError(f"{where}expected {what}, not {str(v).lower()}")
    elif isinstance(v, int | float):
        if not math.isfinite(v):
            raise ValueError(f"{where}expected a finite number, got {v}")
        if abs(v) > MAX_NUMBER:
            raise ValueError(
                f"{where}{v:.4g} is beyond the limit of ±{MAX_NUMBER:.0e} for any scenario value"
            )
    elif isinstance(v, str):
        if len(v) > MAX_TEXT:
            raise ValueError(
                f"{where}a text of {len(v):,} characters is longer than the limit of "
                f"{MAX_TEXT:,} (the most a workbook cell holds)"
            )
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_values(k, where, no_bool, what)
            _check_values(x, f"{where}{_key(k)}: ", no_bool, what)
    elif isinstance(v, list | tuple):
        for i, x in enumerate(v):
            _check_values(x, f"{where}item {i}: ", no_bool, what)


class Strict(BaseModel):
    """The base of every scenario model. Besides refusing unknown keys, it holds every field
    of every model (including those added later) to the same rules, before the field's own
    checks: booleans are not numbers, numbers are finite and within ±MAX_NUMBER, texts fit
    in a workbook cell (MAX_TEXT)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, v: Any, info: ValidationInfo) -> Any:
        name = info.field_name
        if name is None or isinstance(v, BaseModel):
            return v
        annotation = cls.model_fields[name].annotation
        no_bool = _no_bool_allowed(annotation)
        if no_bool is not None:
            numeric = any(w in repr(annotation) for w in ("int", "float", "Dist"))
            _check_values(v, "", no_bool, "a number" if numeric else "text")
        elif isinstance(v, str):
            _check_values(v, "", False)
        elif isinstance(v, dict):  # keys of a mapping of models (effects, services)
            for k in v:
                _check_values(k, "", False)
        return v


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
        None,
        max_length=900,
        json_schema_extra={"label": "Or: clients starting in each month (list)"},
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
            if sum(self.per_month) > MAX_CLIENTS:
                raise ValueError(
                    f"'per_month' starts {sum(self.per_month):.4g} clients, more than the limit "
                    f"of {MAX_CLIENTS:,} clients"
                )
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
            "upper": MAX_CLIENTS,
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

    @field_validator("size")
    @classmethod
    def _size(cls, n: int | None) -> int | None:
        if n is not None and n > MAX_CLIENTS:
            raise ValueError(
                f"{n:.4g} clients is more than the limit of {MAX_CLIENTS:,} clients (each "
                "client is drawn in every iteration; a larger cohort would not fit in memory)"
            )
        return n

    @field_validator("history_from", "observed_to")
    @classmethod
    def _plausible(cls, d: date | None) -> date | None:
        if d is not None and not YEARS[0] <= d.year <= YEARS[1]:
            raise ValueError(f"expected a date in the years {YEARS[0]} to {YEARS[1]}, got {d}")
        return d


DEFAULT_FUNDER = "commissioner"  # who pays when the scenario does not say
FUNDER_TOLERANCE = 1e-9  # how far the funders' shares may sum from 1 (rounding only)


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
    # who pays the programme's costs: agency -> share (shares sum to 1); an agency named as
    # in the unit-cost tables' `agency` column shares one row of the agency ledger with it
    funders: dict[str, float] = Field(
        default_factory=lambda: {DEFAULT_FUNDER: 1.0},
        json_schema_extra={
            "label": "Share of the programme's costs this agency pays",
            "lower": 0,
            "upper": 1,
        },
    )
    source: str = Field("", json_schema_extra={"label": "Source for this section"})

    @field_validator("funders")
    @classmethod
    def _funders(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("name at least one funder, e.g. {commissioner: 1}")
        for name, share in v.items():
            if not str(name).strip():
                raise ValueError("a funder's name must not be blank")
            if not 0 <= share <= 1:
                raise ValueError(f"{name}: expected a share between 0 and 1, got {share:g}")
        total = sum(v.values())
        if abs(total - 1.0) > FUNDER_TOLERANCE:
            raise ValueError(f"the funders' shares must sum to 1, got {total:.6g}")
        return v

    @field_validator("per_client", "per_client_month", "per_completed_case", "fixed_per_year")
    @classmethod
    def _nn(cls, d: Dist) -> Dist:
        if d.price_year is not None:
            _check_fy(d.price_year)
        return _non_negative(d, "a programme cost")


class Additionality(Strict):
    """How much of the change is the programme's own (benefits x (1 - attribution) x
    (1 - displacement)); docs/method.md, section 6."""

    attribution: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Attribution: share of the benefits due to other services (0-1)",
            "lower": 0,
            "upper": 1,
        },
    )
    displacement: DistField = Field(
        parse_dist(0),
        json_schema_extra={
            "label": "Displacement: share of the benefits moved elsewhere, not saved (0-1)",
            "lower": 0,
            "upper": 1,
        },
    )
    source: str = Field("", json_schema_extra={"label": "Source for this section"})

    @field_validator("attribution", "displacement")
    @classmethod
    def _shares(cls, d: Dist) -> Dist:
        return _share(d, "attribution and displacement")


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
        raise ValueError(
            f"expected a transition 'from->to' such as home->residential, got {echo(key)}"
        )
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
                    f"states.{st}: service {echo(svc)} is already the service of state "
                    f"{echo(seen[svc])}; each state needs its own service"
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
                        f"transitions.{a}: the moves out of {echo(a)} sum to {tot:.6g} at their "
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
                    f"{key}: {echo(s)} is not a state; expected one of {', '.join(self.states)}"
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
    if isinstance(v, bool) or not isinstance(v, float | int) or not 0 <= v < math.inf:
        raise ValueError(
            "expected days per client per month for the comparison group (a finite number >= 0), "
            "{share_of_days: S} (share of client-days, 0 to 1), {days_per_client_month: X} "
            f"or 'counterfactual'; got {echo(v)}"
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
    name: str = Field(
        min_length=1, max_length=MAX_NAME, json_schema_extra={"label": "Scenario name"}
    )
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
    additionality: Additionality = Additionality()
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
                    f"key {echo(key)} appears twice (first on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date as written; an impossible one (2024-02-30, year 0) is a YAML error with
        its line, not an internal error."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as e:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{echo(node.value[:40])} is not a calendar date ({e}); expected YYYY-MM-DD",
                node.start_mark,
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


# A scenario is a few hundred values; an anchor/alias ("billion laughs") bomb of a few lines
# expands to billions. The node graph is measured as if every alias were written out, and a
# document beyond this many nodes is refused before any value is built from it.
MAX_YAML_NODES = 100_000


class YamlTooLarge(yaml.YAMLError):
    """A document whose aliases expand beyond MAX_YAML_NODES nodes, or refer to themselves."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def _expanded_nodes(root: yaml.Node) -> int:
    """The number of nodes `root` holds with every alias expanded (stops past the limit)."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise YamlTooLarge("an alias refers to the node that holds it", node.start_mark)
        busy.add(key)
        n = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                n += size(child)
                if n > MAX_YAML_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                n += size(k) + size(v)
                if n > MAX_YAML_NODES:
                    break
        busy.discard(key)
        sizes[key] = n
        return n

    total = size(root)
    if total > MAX_YAML_NODES:
        raise YamlTooLarge(
            f"anchors and aliases expand to more than {MAX_YAML_NODES:,} values (a YAML alias "
            "bomb?), or the file holds that many; a scenario needs far fewer",
            root.start_mark,
        )
    return total


def load_yaml_text(text: str) -> Any:
    """Plain data from YAML text: no tags, duplicate keys refused, impossible dates refused,
    alias expansion limited (YamlTooLarge). Raises yaml.YAMLError subclasses."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_nodes(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _yaml_problem(e: yaml.YAMLError) -> str:
    problem = " ".join(str(getattr(e, "problem", None) or str(e)).split())
    if isinstance(e, yaml.constructor.ConstructorError):
        tag = re.search(r"constructor for the tag '([^']*)'", problem)
        if tag:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            return (
                f"YAML tag {echo(name)} is not allowed; a scenario holds plain data only (no tags)"
            )
        return problem
    if isinstance(e, YamlTooLarge):
        return problem
    return f"YAML syntax error: {problem}"


def read_yaml(path: Path) -> Any:
    """Read a YAML file safely (plain data only, duplicate keys refused); one-line errors."""
    raw = read_input_bytes(path, "a scenario file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected scenario keys")
    try:
        data = load_yaml_text(text)
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
