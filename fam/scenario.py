"""The scenario file: a strict schema (unknown keys are errors) and its loader.

Paths inside a scenario are relative to the scenario file. Every error is one line naming
the file, the key path and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from fam.distributions import Dist, parse_dist
from fam.errors import InputError

FY_RE = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _dist(v: Any) -> Dist:
    return parse_dist(v)


DistField = Annotated[Dist, BeforeValidator(_dist), PlainSerializer(lambda d: d.to_spec())]


def _check_fy(v: Any) -> str:
    s = str(v)
    m = FY_RE.match(s)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"expected a UK financial year like 2024-25, got {v!r}")
    return s


FinancialYear = Annotated[str, BeforeValidator(_check_fy)]


def _check_month(v: Any) -> str:
    s = str(v)
    m = MONTH_RE.match(s)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"expected a calendar month like 2013-04, got {v!r}")
    return s


Month = Annotated[str, BeforeValidator(_check_month)]


def _support(d: Dist) -> tuple[float, float]:
    """Smallest and largest values a distribution can take (approximately for tails)."""
    if d.name == "fixed":
        return d.mean, d.mean
    if d.name == "empirical":
        vals = d.p("values")
        return min(vals), max(vals)
    if d.name in ("normal",):
        return -float("inf"), float("inf")
    if d.name in ("lognormal", "gamma"):
        return 0.0, float("inf")
    if d.name == "beta":
        return 0.0, 1.0
    if d.name in ("uniform", "triangular", "pert"):
        return d.p("low"), d.p("high")
    return d.quantile(0.0), d.quantile(1.0)


def _share(d: Dist, what: str) -> Dist:
    lo, hi = _support(d)
    if d.name == "normal":
        lo, hi = d.mean, d.mean
    if lo < 0 or hi > 1:
        raise ValueError(f"{what} is a share between 0 and 1; got {d.describe()}")
    return d


def _non_negative(d: Dist, what: str) -> Dist:
    lo, _ = _support(d)
    if d.name == "normal":
        lo = d.mean
    if lo < 0:
        raise ValueError(f"{what} must not be negative; got {d.describe()}")
    return d


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Discounting(Strict):
    rate: float = Field(0.035, ge=0, le=0.2)
    schedule: Literal["green_book", "constant"] = "green_book"


class Intake(Strict):
    months: int | None = Field(None, ge=1, le=600)
    per_month: list[float] | None = None

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
    clients: str
    service_use: str
    baseline_months: int = Field(12, ge=1, le=120)
    size: float | None = Field(None, gt=0)
    intake: Intake = Intake(months=1)


class ProgrammeCosts(Strict):
    per_client: DistField = parse_dist(0)
    per_client_month: DistField = parse_dist(0)
    per_completed_case: DistField = parse_dist(0)
    fixed_per_year: DistField = parse_dist(0)
    price_year: FinancialYear | None = None
    confidence: int = Field(2, ge=1, le=6)
    source: str = ""

    @field_validator("per_client", "per_client_month", "per_completed_case", "fixed_per_year")
    @classmethod
    def _nn(cls, d: Dist) -> Dist:
        if d.price_year is not None:
            _check_fy(d.price_year)
        return _non_negative(d, "a programme cost")


class Counterfactual(Strict):
    trend: DistField = parse_dist(0)
    ramp_months: int = Field(12, ge=0, le=600)
    source: str = ""

    @field_validator("trend")
    @classmethod
    def _trend(cls, d: Dist) -> Dist:
        lo, hi = _support(d)
        if d.name == "normal":
            lo = hi = d.mean
        if lo < -1 or hi > 1:
            raise ValueError(
                f"trend is a share of baseline use between -1 and 1; got {d.describe()}"
            )
        return d


class Effect(Strict):
    change: DistField
    onset_months: float = Field(0, ge=0, le=600)
    half_life_months: float | None = Field(None, gt=0)
    source: str = ""

    @field_validator("change")
    @classmethod
    def _change(cls, d: Dist) -> Dist:
        lo, _ = _support(d)
        if d.name == "normal":
            lo = d.mean
        if lo < -1:
            raise ValueError(
                f"change is relative (-0.25 = a quarter less) and cannot be below -1; got {d.describe()}"
            )
        return d


class Engagement(Strict):
    duration_months: int = Field(6, ge=1, le=600)
    completion: DistField = parse_dist(1)
    non_completer_effect: DistField = parse_dist(0)
    source: str = ""

    @field_validator("completion", "non_completer_effect")
    @classmethod
    def _shares(cls, d: Dist) -> Dist:
        return _share(d, "completion and non_completer_effect")


class OptimismBias(Strict):
    apply: bool = True


class MonteCarlo(Strict):
    iterations: int = Field(10000, ge=1, le=10_000_000)
    seed: int = Field(1, ge=0)
    bootstrap: bool = True
    poisson: bool = True


class Outputs(Strict):
    dir: str | None = None


class Scenario(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    programme: Literal["mst", "wraparound", "link_worker", "custom"] = "custom"
    price_base_year: FinancialYear
    start: Month
    horizon_years: int = Field(ge=1, le=75)
    period: Literal["month", "quarter", "year"] = "year"
    discounting: Discounting = Discounting()
    perspective: Literal["fiscal", "fiscal_cashable", "public_value"] = "fiscal"
    unit_costs: list[str] = Field(min_length=1)
    cohort: Cohort
    programme_costs: ProgrammeCosts = ProgrammeCosts()
    counterfactual: Counterfactual = Counterfactual()
    effects: dict[str, Effect] = Field(default_factory=dict)
    engagement: Engagement = Engagement()
    optimism_bias: OptimismBias = OptimismBias()
    monte_carlo: MonteCarlo = MonteCarlo()
    outputs: Outputs = Outputs()
    sources: dict[str, str] = Field(default_factory=dict)

    @property
    def horizon_months(self) -> int:
        return self.horizon_years * 12


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if not str(x).startswith("function-"))


def format_validation_error(path: Path | str, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = _loc(first["loc"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling; see docs/scenario.md for the keys)"
    elif first["type"] == "missing":
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


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a scenario file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty; expected scenario keys")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"{path}: {line}YAML syntax error: {problem}") from None


def load_scenario_file(path: str | Path) -> Scenario:
    p = Path(path)
    return parse_scenario(read_yaml(p), p)


def canonical_json(sc: Scenario) -> str:
    """The validated scenario as canonical JSON (the same for a YAML file and its workbook)."""
    import json

    return json.dumps(sc.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
