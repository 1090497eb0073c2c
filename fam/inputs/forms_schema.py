"""Scenario schema for the v2 counterfactual forms: strict models, standalone.

- `CounterfactualV2`: the v1 counterfactual plus `services`, per-service forms keyed by a
  service code or a pattern (fnmatch, e.g. care_week_*): an own-baseline `trend`, an
  absolute `rate` (steps by relative month, or `comparison`), and/or `until_age`;
- `Placements`: a monthly Markov chain of mutually exclusive states;
- `EffectsV2`: service effects as in v1 (each with an optional `confidence` grade 1-6)
  and, under the reserved key `placements`, relative changes to transition probabilities
  keyed `from->to`.

Checks that need the unit-cost tables (which services exist, their units) are in
`check_forms`, which takes the unit lookup. Errors follow fam.inputs.scenario: one line, the key
path, and what was expected.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from fam.errors import InputError, echo
from fam.inputs.cohort import EVENT_UNITS
from fam.inputs.scenario import (
    Counterfactual,
    Effect,
    Placements,
    ServiceForm,
    Strict,
    _pair,
    is_pattern,
)


class CounterfactualV2(Counterfactual):
    """The counterfactual block (fam.inputs.scenario.Counterfactual carries `services` itself)."""


class EffectV2(Effect):
    """An effect (fam.inputs.scenario.Effect carries its optional evidence grade `confidence`)."""


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
    cf: Counterfactual,
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
                    f"{path}: placements.states.{st}: unknown service {echo(svc)}; expected a "
                    "service code from the unit-cost tables"
                )
            if units[svc] in EVENT_UNITS:
                raise InputError(
                    f"{path}: placements.states.{st}: service {echo(svc)} is counted per "
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
    cf: Counterfactual,
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
                f"{path}: counterfactual.services: service {echo(s)} matches both {echo(keys[0])} and "
                f"{echo(keys[1])}; give it its own entry"
            )
        if keys:
            out[s] = (keys[0], cf.services[keys[0]])
    return out
