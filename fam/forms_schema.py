"""Scenario schema for the v2 counterfactual forms: strict models, standalone.

- `CounterfactualV2`: the v1 counterfactual plus `services`, per-service forms keyed by a
  service code or a pattern (fnmatch, e.g. care_week_*): an own-baseline `trend`, an
  absolute `rate` (steps by relative month, or `comparison`), and/or `until_age`;
- `Placements`: a monthly Markov chain of mutually exclusive states;
- `EffectsV2`: service effects as in v1 (each with an optional `confidence` grade 1-6)
  and, under the reserved key `placements`, relative changes to transition probabilities
  keyed `from->to`.

Checks that need the unit-cost tables (which services exist, their units) are in
`check_forms`, which takes the unit lookup. Errors follow fam.scenario: one line, the key
path, and what was expected.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from fam.cohort import EVENT_UNITS
from fam.distributions import Dist
from fam.errors import InputError
from fam.scenario import Counterfactual, DistField, Effect, Strict, _non_negative, _share

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

    trend: DistField | None = None
    rate: list[RateStep] | Literal["comparison"] | None = None
    until_age: float | None = Field(None, ge=0, le=120)
    source: str = ""

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


class CounterfactualV2(Counterfactual):
    """The v1 counterfactual (trend for every service not listed) plus per-service forms."""

    services: dict[str, ServiceForm] = Field(default_factory=dict)


def _pair(key: str) -> tuple[str, str]:
    a, sep, b = key.partition(ARROW)
    if not sep or not a.strip() or not b.strip() or ARROW in b:
        raise ValueError(f"expected a transition 'from->to' such as home->residential, got {key!r}")
    return a.strip(), b.strip()


class Placements(Strict):
    """A monthly Markov chain over mutually exclusive placement states."""

    states: dict[str, str | None] = Field(min_length=2)  # state -> its service (None: none)
    start: Literal["data"] | dict[str, float] = "data"
    transitions: dict[str, dict[str, DistField]] | Literal["comparison"]
    until_age: float | None = Field(None, ge=0, le=120)
    confidence: int | None = Field(None, ge=1, le=6)
    source: str = ""

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


class EffectV2(Effect):
    """A v1 effect with an optional evidence grade (optimism bias on the effect)."""

    confidence: int | None = Field(None, ge=1, le=6)


class EffectsV2(Strict):
    """`effects`: service codes or patterns -> EffectV2, and the reserved key `placements`
    (transition 'from->to' -> EffectV2)."""

    model_config = ConfigDict(extra="allow", frozen=True, arbitrary_types_allowed=True)
    __pydantic_extra__: dict[str, EffectV2] = Field(init=False)

    placements: dict[str, EffectV2] = Field(default_factory=dict)

    @field_validator("placements")
    @classmethod
    def _keys(cls, v: dict[str, EffectV2]) -> dict[str, EffectV2]:
        for k in v:
            _pair(k)
        return v

    @property
    def services(self) -> dict[str, EffectV2]:
        return dict(self.model_extra or {})


def validate_forms(
    counterfactual: Any = None, placements: Any = None, effects: Any = None
) -> tuple[CounterfactualV2, Placements | None, EffectsV2]:
    """Validate the three blocks (raw data) standalone; ValidationError as pydantic gives."""
    cf = CounterfactualV2.model_validate(counterfactual or {})
    pl = None if placements is None else Placements.model_validate(placements)
    ef = EffectsV2.model_validate(effects or {})
    return cf, pl, ef


def _known(key: str, known: Sequence[str], where: str, path: str) -> list[str]:
    if is_pattern(key):
        hits = [s for s in known if fnmatch.fnmatchcase(s, key)]
        if not hits:
            raise InputError(f"{path}: {where}.{key}: the pattern matches no service code")
        return hits
    if key not in known:
        raise InputError(
            f"{path}: {where}.{key}: unknown service; expected a service code from the "
            "unit-cost tables or a pattern such as care_week_*"
        )
    return [key]


def check_forms(
    cf: CounterfactualV2,
    placements: Placements | None,
    effects: EffectsV2,
    units: Mapping[str, str],
    path: str = "<scenario>",
) -> None:
    """Checks against the unit lookup (service code -> unit) from the unit-cost tables.

    - counterfactual.services keys are services, or patterns matching at least one;
    - states' services exist and are counted in time units (not per event);
    - a state's service has no exact counterfactual.services trend/rate and no exact
      service effect (its counterfactual and programme arm come from the chain);
    - effects.placements keys are listed transitions between listed states.
    Raises InputError (one line).
    """
    known = sorted(units)
    for key in cf.services:
        _known(key, known, "counterfactual.services", path)
    for key in effects.services:
        _known(key, known, "effects", path)
    state_services: set[str] = set()
    if placements is not None:
        for st, svc in placements.states.items():
            if svc is None:
                continue
            if svc not in units:
                raise InputError(
                    f"{path}: placements.states.{st}: unknown service {svc!r}; expected a "
                    "service code from the unit-cost tables"
                )
            if units[svc] in EVENT_UNITS:
                raise InputError(
                    f"{path}: placements.states.{st}: service {svc!r} is counted per "
                    f"{units[svc]}; a state needs a time unit (night, day, week, month or year)"
                )
            state_services.add(svc)
        for svc in state_services:
            form = cf.services.get(svc)
            if form is not None and (form.trend is not None or form.rate is not None):
                raise InputError(
                    f"{path}: counterfactual.services.{svc}: is a placement state's service; "
                    "its counterfactual comes from placements (only until_age may be given)"
                )
            if svc in effects.services:
                raise InputError(
                    f"{path}: effects.{svc}: is a placement state's service; its effect goes "
                    "under effects.placements as a change to a transition"
                )
    if effects.placements:
        if placements is None:
            key = next(iter(effects.placements))
            raise InputError(f"{path}: effects.placements.{key}: there is no placements block")
        for key in effects.placements:
            try:
                placements.allowed(key)
            except ValueError as e:
                raise InputError(f"{path}: effects.placements.{e}") from None


def resolve_services(
    cf: CounterfactualV2,
    services: Sequence[str],
    path: str = "<scenario>",
    states: Collection[str] = (),
) -> dict[str, tuple[str, ServiceForm]]:
    """The form of each service that has one: service -> (key, form). A service takes its
    own entry if it has one, else the single pattern matching it (two are an error);
    services with neither follow the v1 trend and are left out. For the services of
    placement `states` a pattern gives only its until_age (the chain gives the rest)."""
    out: dict[str, tuple[str, ServiceForm]] = {}
    patterns = [k for k in cf.services if is_pattern(k)]
    for s in services:
        if s in states and s not in cf.services:
            keys = [k for k in patterns if fnmatch.fnmatchcase(s, k)]
            ages = [k for k in keys if cf.services[k].until_age is not None]
            if ages:
                out[s] = (ages[0], ServiceForm(until_age=cf.services[ages[0]].until_age))
            continue
        if s in cf.services:
            out[s] = (s, cf.services[s])
            continue
        keys = [k for k in patterns if fnmatch.fnmatchcase(s, k)]
        if len(keys) > 1:
            raise InputError(
                f"{path}: counterfactual.services: service {s!r} matches both {keys[0]!r} and "
                f"{keys[1]!r}; give it its own entry"
            )
        if keys:
            out[s] = (keys[0], cf.services[keys[0]])
    return out
