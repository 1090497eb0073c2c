"""The Inputs sheet's rows, derived from the scenario schema (fam/inputs/scenario.py).

Each scenario field carries its own Inputs-sheet metadata in `json_schema_extra`:

- "label": what the row says the input is (a field without a label gets no data validation
  and a type taken from its value);
- "kind": only where the annotation cannot tell: "financial_year", "month", "money" (a £
  distribution with a price year) or "number" (a whole number shown as a decimal);
- "lower" / "upper": bounds enforced by a validator rather than by ge/gt/le/lt;
- "template": False to leave the field out of a blank template, "blank" to leave it empty;
- "percent": True to show a number as a percentage (0.035 as 3.5%; the cell holds 0.035).

Everything else comes from the field itself: the type from its annotation (bool, int, float,
str, date, list, Literal choices, Dist), the bounds from ge/gt/le/lt, the template value from
its default.
"""

from __future__ import annotations

import datetime as _dt
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from fam.inputs.scenario import NO_SERVICE, Scenario
from fam.inputs.workbook_input import (
    T_BOOL,
    T_CHOICE,
    T_DIST,
    T_FY,
    T_INT,
    T_LIST,
    T_MONEY,
    T_MONTH,
    T_NUMBER,
    T_TEXT,
    dist_text,
)
from fam.model.distributions import Dist, parse_dist

_KIND = {"financial_year": T_FY, "month": T_MONTH, "money": T_MONEY, "number": T_NUMBER}
SOURCES = "sources"  # the top-level map of key path -> source, one row per key
EXAMPLE_ENTRY = "<service>"  # the example entry of a map of sections (effects) in a template


@dataclass(frozen=True)
class FieldSpec:
    """What the Inputs sheet shows for one scenario field."""

    kind: str
    lower: float | None
    upper: float | None
    label: str
    choices: tuple[str, ...] = ()
    percent: bool = False  # shown as a percentage


@dataclass
class InRow:
    key: str
    kind: str
    label: str = ""
    value: Any = None  # the setting, or the central value of a distribution
    dist: str = ""  # distribution text (distribution rows)
    price_year: str | None = None
    lower: float | None = None
    upper: float | None = None
    choices: tuple[str, ...] = ()
    section: str = ""
    name: str = ""  # defined name of the value cell
    row: int = -1  # 0-based row on the Inputs sheet
    source_key: str | None = None
    percent: bool = False  # a number shown as a percentage


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def _plain(annotation: Any) -> Any:
    """The annotation without Optional and Annotated wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _section(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model, is_map): a nested section, or a map of sections such as effects."""
    plain = _plain(annotation)
    if isinstance(plain, type) and issubclass(plain, BaseModel):
        return plain, False
    if get_origin(plain) is dict:
        value = _plain(get_args(plain)[1])
        if isinstance(value, type) and issubclass(value, BaseModel):
            return value, True
    return None, False


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        if isinstance(m, Ge | Gt):
            lo = m.ge if isinstance(m, Ge) else m.gt
        elif isinstance(m, Le | Lt):
            hi = m.le if isinstance(m, Le) else m.lt
    return lo, hi  # type: ignore[return-value]


def _scalar_map(info: FieldInfo) -> bool:
    """A map of numbers (programme_costs.funders): one row per entry, typed and labelled by
    the field."""
    plain = _plain(info.annotation)
    return get_origin(plain) is dict and _plain(get_args(plain)[1]) in (int, float)


def _spec(info: FieldInfo) -> FieldSpec | None:
    extra = _extra(info)
    if "label" not in extra:
        return None
    plain = _plain(info.annotation)
    if _scalar_map(info):  # a map of scalars: each entry's row is typed by the map's values
        plain = _plain(get_args(plain)[1])
    choices: tuple[str, ...] = ()
    if "kind" in extra:
        kind = _KIND[extra["kind"]]
    elif get_origin(plain) is Literal:
        kind, choices = T_CHOICE, tuple(str(a) for a in get_args(plain))
    elif plain is bool:
        kind = T_BOOL
    elif plain is int:
        kind = T_INT
    elif plain is float:
        kind = T_NUMBER
    elif plain is Dist:
        kind = T_DIST
    elif plain is list or get_origin(plain) is list:
        kind = T_LIST
    elif plain in (str, _dt.date) or get_origin(plain) is dict:
        kind = T_TEXT
    else:  # pragma: no cover - a new kind of field: say what it is in its metadata
        raise TypeError(f"no Inputs type for {info.annotation!r}; give it a 'kind'")
    lo, hi = _bounds(info)
    lo = extra.get("lower", lo)
    hi = extra.get("upper", hi)
    return FieldSpec(kind, lo, hi, str(extra["label"]), choices, bool(extra.get("percent")))


def field_specs(model: type[BaseModel] = Scenario, prefix: str = "") -> dict[str, FieldSpec]:
    """Key path pattern (map entries as '*') -> what the Inputs sheet shows, for every field
    with a label; `sources.*` stands for every key of the sources map."""
    out: dict[str, FieldSpec] = {}
    for name, info in model.model_fields.items():
        key = prefix + name
        sub, is_map = _section(info.annotation)
        if sub is not None:
            out.update(field_specs(sub, f"{key}.*." if is_map else f"{key}."))
            continue
        spec = _spec(info)
        if spec is not None:
            out[f"{key}.*" if key == SOURCES or _scalar_map(info) else key] = spec
    return out


KNOWN: dict[str, FieldSpec] = field_specs()
CHOICES: dict[str, tuple[str, ...]] = {k: s.choices for k, s in KNOWN.items() if s.choices}


def _known(key: str) -> FieldSpec | None:
    """The spec of a key path (map entries and sources keys matched one level deep)."""
    parts = key.split(".")
    if parts[0] == SOURCES:
        return KNOWN.get(f"{SOURCES}.*")
    if parts[:2] == ["effects", "placements"] and len(parts) >= 4:  # scenario.placement_effects
        return KNOWN.get(f"placement_effects.*.{parts[-1]}")
    model: type[BaseModel] = Scenario
    pattern: list[str] = []
    i = 0
    while i < len(parts):
        info = model.model_fields.get(parts[i])
        if info is None:
            return None
        pattern.append(parts[i])
        sub, is_map = _section(info.annotation)
        if sub is None and _scalar_map(info):
            return KNOWN.get(".".join(pattern) + ".*") if i == len(parts) - 2 else None
        if sub is None:
            return KNOWN.get(".".join(pattern)) if i == len(parts) - 1 else None
        if is_map:
            if i + 1 >= len(parts):
                return None
            pattern.append("*")
            i += 1
        model = sub
        i += 1
    return None


def _template(model: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        extra = _extra(info)
        if extra.get("template", True) is False:
            continue
        sub, is_map = _section(info.annotation)
        if is_map and sub is not None:
            out[name] = {EXAMPLE_ENTRY: dict.fromkeys(_template(sub))}
        elif sub is not None:
            out[name] = _template(sub)
        elif extra.get("template") == "blank" or info.is_required():
            out[name] = None
        else:
            value = info.get_default(call_default_factory=True)
            out[name] = value.to_spec() if isinstance(value, Dist) else value
    return out


def hidden(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Key paths of the fields marked "workbook": False (not carried by the Inputs sheet:
    the per-service counterfactual forms and the placement chain)."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        if _extra(info).get("workbook", True) is False:
            out.append(prefix + name)
            continue
        sub, is_map = _section(info.annotation)
        if sub is not None and not is_map:
            out += hidden(sub, f"{prefix}{name}.")
    return out


def shown(dump: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario dump without the fields the Inputs sheet does not carry."""
    out: dict[str, Any] = json.loads(json.dumps(dump))
    # effects on placement transitions are written where the scenario file has them, and a
    # state without a service as NO_SERVICE (a blank cell would read back as unset)
    moved = out.pop("placement_effects", None)
    if moved:
        out.setdefault("effects", {})["placements"] = moved
    pl = out.get("placements")
    if pl is not None:
        pl["states"] = {k: NO_SERVICE if v is None else v for k, v in pl["states"].items()}
    for key in hidden():
        *parents, last = key.split(".")
        node: Any = out
        for p in parents:
            node = node.get(p) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return out


def template_dump() -> dict[str, Any]:
    """The rows of a blank scenario: defaults where the schema has them, blanks where not."""
    return _template(Scenario)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "dist" not in v and not (prefix == "" and k == SOURCES):
            out += _flatten(v, key + ".")
        elif prefix == "" and k == SOURCES:
            out += [(f"{SOURCES}.{sk}", sv) for sk, sv in v.items()]
        else:
            out.append((key, v))
    return out


def _infer(value: Any) -> str:
    if isinstance(value, bool):
        return T_BOOL
    if isinstance(value, int):
        return T_INT
    if isinstance(value, float):
        return T_NUMBER
    if isinstance(value, list):
        return T_LIST
    if isinstance(value, dict):
        return T_MONEY if "price_year" in value else T_DIST
    return T_TEXT


def input_rows(dump: Mapping[str, Any]) -> list[InRow]:
    """One row per scenario key path (the scenario's validated form, model_dump(mode='json'))."""
    rows: list[InRow] = []
    flat = _flatten(dump)
    # top-level settings first, then each group in the schema's order
    flat = [kv for kv in flat if "." not in kv[0]] + [kv for kv in flat if "." in kv[0]]
    keys = {k for k, _ in flat}
    for key, value in flat:
        spec = _known(key) or FieldSpec(_infer(value), None, None, "")
        kind, lo, hi, label, choices = (
            spec.kind,
            spec.lower,
            spec.upper,
            spec.label,
            spec.choices,
        )
        if kind == T_DIST and isinstance(value, dict) and "price_year" in value:
            kind = T_MONEY
        top = key.split(".")[0]
        section = top if "." in key else "scenario"
        r = InRow(key, kind, label, lower=lo, upper=hi, section=section)
        r.choices = choices
        r.percent = spec.percent and kind == T_NUMBER
        if kind in (T_DIST, T_MONEY):
            if isinstance(value, dict):
                d = parse_dist(value)
                r.value = d.mean
                r.dist = dist_text(d)
                r.price_year = d.price_year
        elif kind == T_LIST:
            r.value = None if value is None else json.dumps(value, ensure_ascii=False)
        else:
            r.value = value
        parts = key.split(".")
        if key in dump.get(SOURCES, {}) or f"{SOURCES}.{key}" in keys:
            r.source_key = f"{SOURCES}.{key}"
        elif len(parts) > 1 and parts[-1] != "source":
            parent = ".".join(parts[:-1])
            if f"{parent}.source" in keys:
                r.source_key = f"{parent}.source"
        rows.append(r)
    return rows


def get(data: Mapping[str, Any], key: str) -> Any:
    """The value at a key path of a scenario mapping, or None."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
