"""Load and validate every input of a scenario into typed, immutable model inputs.

This is the only stage that reads files. Its output, `ModelInputs`, holds arrays and
parsed distributions only; the engine is a pure function of it.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fam.cohort import (
    CohortData,
    _month_of,
    baseline_rates,
    comparison_trend,
    history_exposure,
    load_cohort,
    observed_follow_up,
    rows_outside_windows,
)
from fam.distributions import Dist, Empirical, split_uniform
from fam.errors import InputError
from fam.scenario import Scenario, canonical_json, parse_scenario, read_yaml
from fam.unit_costs import (
    DEFAULT_DEFLATORS,
    Deflators,
    load_deflators,
    load_unit_costs,
    uprate_costs,
)


@dataclass(frozen=True)
class Input:
    """One uncertain (or fixed) scenario input, with the factor that uprates money inputs."""

    name: str  # key path, e.g. "effects.care_week_residential.change"
    dist: Dist
    factor: float = 1.0  # multiply draws by this (price-year uprating)
    lower: float | None = None  # draws are clipped to [lower, upper]
    upper: float | None = None
    label: str = ""
    source: str = ""
    central_value: float | None = None  # overrides the distribution's mean (a point estimate)

    @property
    def central(self) -> float:
        if self.central_value is not None:
            return self.central_value
        return self.dist.mean * self.factor

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float) * self.factor
        if self.lower is not None or self.upper is not None:
            x = np.clip(x, self.lower, self.upper)
        return x


@dataclass(frozen=True)
class ServiceEffect:
    service: str
    change: Input | None  # None: no effect declared for this service
    onset_months: float
    half_life_months: float | None


@dataclass(frozen=True)
class ModelInputs:
    scenario: Scenario
    scenario_path: Path
    services: tuple[str, ...]
    units: tuple[str, ...]
    cost_rows: pd.DataFrame  # one row per (service, value_type) used, uprated
    baseline: np.ndarray  # [client, service] use per month in the baseline window
    durations: np.ndarray  # [client] programme months (int >= 1)
    completed: np.ndarray  # [client] bool, from the data
    intake: np.ndarray  # [k] clients starting in calendar month k
    size: int
    effects: tuple[ServiceEffect, ...]
    trend: Input
    completion: Input
    non_completer_effect: Input
    programme_costs: dict[str, Input]
    unit_cost_inputs: tuple[Input, ...]  # one per cost row with a low/high range
    optimism_bias: dict[int, dict[str, float]]
    deflators: Deflators
    inputs_sha256: dict[str, str]
    counterfactual_method: str
    n_data_clients: int
    data_notes: dict[str, Any] = field(default_factory=dict)
    follow_up: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [client] months observed
    observed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # [client, s] use
    correlations: list[tuple[tuple[str, ...], float]] = field(default_factory=list)
    # programme-arm data clients, aligned with `baseline`: client_id, cohort, age_at_start.
    # Personal data: no writer may output client_id (see fam.privacy.client_detail_frame).
    clients: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def horizon_months(self) -> int:
        return self.scenario.horizon_months

    @property
    def n_years(self) -> int:
        return self.scenario.horizon_years

    def uncertain_inputs(self) -> list[Input]:
        """Every named input, in a stable order (the columns of iterations.csv)."""
        out = [self.trend, self.completion, self.non_completer_effect]
        out += [e.change for e in self.effects if e.change is not None]
        out += list(self.programme_costs.values())
        seen: set[str] = set()
        uniq = []
        for i in out + list(self.unit_cost_inputs):
            if i.name not in seen:
                seen.add(i.name)
                uniq.append(i)
        return uniq


def load_optimism_bias() -> dict[int, dict[str, float]]:
    text = resources.files("fam").joinpath("parameters/optimism_bias.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {
        int(g): {"costs": v["costs"], "benefits": v["benefits"]} for g, v in data["grades"].items()
    }


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _resolve(base: Path, rel: str, key: str, scenario_path: Path) -> Path:
    p = (base / rel).resolve() if not Path(rel).is_absolute() else Path(rel)
    if not p.exists():
        raise InputError(
            f"{scenario_path}: {key}: file not found: {rel} (relative to the scenario)"
        )
    if p.is_dir():
        raise InputError(f"{scenario_path}: {key}: {rel} is a folder; expected a file")
    return p


def _factor(deflators: Deflators, from_year: str, to_year: str, where: str) -> float:
    """deflators.factor, with `where` (file: key path) in front of its error."""
    try:
        return deflators.factor(from_year, to_year)
    except InputError as e:
        raise InputError(f"{where}: {e}") from None


def _intake(sc: Scenario, n_prog: int, path: Path) -> tuple[np.ndarray, int]:
    it = sc.cohort.intake
    if it.per_month is not None:
        counts = np.asarray(it.per_month, dtype=float)
        if np.any(counts != np.round(counts)):
            raise InputError(f"{path}: cohort.intake.per_month: expected whole numbers of clients")
        size = int(counts.sum())
        if sc.cohort.size is not None and int(sc.cohort.size) != size:
            raise InputError(
                f"{path}: cohort.size {sc.cohort.size} differs from the sum of "
                f"cohort.intake.per_month ({size}); give one or make them agree"
            )
    else:
        assert it.months is not None
        size = int(sc.cohort.size) if sc.cohort.size is not None else n_prog
        counts = np.full(it.months, size / it.months)
    if len(counts) > sc.horizon_months:
        raise InputError(
            f"{path}: cohort.intake: {len(counts)} intake months is longer than the horizon "
            f"({sc.horizon_months} months)"
        )
    return counts, size


def durations_months(cohort: CohortData, default: int) -> np.ndarray:
    """Programme months per client: the relative months touched by [start_date, end_date)."""
    start = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")
    end = cohort.clients["end_date"]
    out = np.full(len(start), default, dtype=np.int64)
    has = end.notna().to_numpy()
    if has.any():
        e = end.to_numpy()[has].astype("datetime64[D]")
        s = start[has]
        last = np.maximum(e - np.timedelta64(1, "D"), s)
        out[has] = _month_of(s, last) + 1
    return np.maximum(out, 1)


def resolve_effects(
    sc: Scenario, services: tuple[str, ...], known: set[str], path: Path
) -> tuple[ServiceEffect, ...]:
    """Match effect keys (service codes or glob patterns such as 'custody_night_*')."""
    for key in sc.effects:
        is_glob = any(ch in key for ch in "*?[")
        if not is_glob and key not in known:
            raise InputError(
                f"{path}: effects.{key}: unknown service; expected a service code from the "
                "unit-cost tables or a pattern such as custody_night_*"
            )
        if is_glob and not any(fnmatch.fnmatchcase(s, key) for s in known):
            raise InputError(f"{path}: effects.{key}: the pattern matches no service code")
    out = []
    for s in services:
        if s in sc.effects:
            key = s
        else:
            keys = [k for k in sc.effects if fnmatch.fnmatchcase(s, k)]
            if len(keys) > 1:
                raise InputError(
                    f"{path}: effects: service {s!r} matches both {keys[0]!r} and {keys[1]!r}; "
                    "give it its own entry"
                )
            key = keys[0] if keys else ""
        if key:
            e = sc.effects[key]
            inp = Input(
                f"effects.{key}.change",
                e.change,
                lower=-1.0,
                label=f"Effect on {key}",
                source=e.source or sc.sources.get(f"effects.{key}", ""),
            )
            out.append(ServiceEffect(s, inp, e.onset_months, e.half_life_months))
        else:
            out.append(ServiceEffect(s, None, 0.0, None))
    return tuple(out)


def load(scenario_path: str | Path, overrides: Mapping[str, Any] | None = None) -> ModelInputs:
    """Read a scenario (.yaml, or a workbook written by fam) and everything it refers to.

    Raises InputError on the first problem. `overrides` maps dotted key paths to values.
    """
    path = Path(scenario_path)
    table: pd.DataFrame | None = None
    base = path.parent
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from fam.workbook_input import read_workbook_scenario

        data, table, base = read_workbook_scenario(path)
    else:
        data = read_yaml(path)
    if overrides and isinstance(data, dict):
        for dotted, value in overrides.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
    return load_from_scenario(parse_scenario(data, path), path, base, table)


def _table_sha256(table: pd.DataFrame) -> str:
    from fam.unit_costs import COLUMNS

    cols = [c for c in COLUMNS if c in table.columns]
    text = table[cols].sort_values(["service", "value_type"]).to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


def load_from_scenario(
    sc: Scenario, path: Path, base: Path | None = None, table: pd.DataFrame | None = None
) -> ModelInputs:
    """Load what a validated scenario refers to; paths are relative to `base`.

    `table`, if given, is the unit-cost table to use instead of the scenario's files (as read
    back from a workbook).
    """
    base = path.parent if base is None else base
    hashes: dict[str, str] = {"scenario": hashlib.sha256(canonical_json(sc).encode()).hexdigest()}
    deflators = load_deflators()
    if table is None:
        cost_paths = [_resolve(base, p, "unit_costs", path) for p in sc.unit_costs]
        table = load_unit_costs(cost_paths, deflators)
    hashes["unit_costs"] = _table_sha256(table)
    hashes["gdp_deflators"] = sha256_file(DEFAULT_DEFLATORS)
    _factor(deflators, sc.price_base_year, sc.price_base_year, f"{path}: price_base_year")
    try:
        table = uprate_costs(table, sc.price_base_year, deflators)
    except InputError as e:
        raise InputError(f"{path}: unit costs: {e}") from None
    units_by_service = dict(zip(table["service"], table["unit"], strict=False))
    known = set(units_by_service)

    cp = _resolve(base, sc.cohort.clients, "cohort.clients", path)
    up = _resolve(base, sc.cohort.service_use, "cohort.service_use", path)
    hashes["clients"] = sha256_file(cp)
    hashes["service_use"] = sha256_file(up)
    cohort = load_cohort(cp, up, units_by_service)
    prog = np.flatnonzero(cohort.clients["arm"].to_numpy() == "programme")
    if prog.size == 0:
        raise InputError(f"{cp}: no clients with arm 'programme'; expected at least one")

    # services in the data, and services named exactly in effects (a pattern adds nothing
    # for a service with no use)
    used = set(cohort.use["service"]) | {k for k in sc.effects if k in known}
    services = tuple(sorted(used))
    units = tuple(units_by_service[s] for s in services)
    effects = resolve_effects(sc, services, known, path)

    rows = table[table["service"].isin(services)].copy()
    rows["s_index"] = rows["service"].map({s: i for i, s in enumerate(services)})
    rows = rows.sort_values(["s_index", "value_type"]).reset_index(drop=True)

    unit_map = dict(zip(services, units, strict=True))
    dates = pd.concat([cohort.use["start"], cohort.use["end"].dropna()])
    # history before cohort.history_from is unknown; without it every window counts as
    # observed in full (a client with no records simply used nothing), and clients whose
    # window begins before the earliest record are only counted, not adjusted
    history_from = sc.cohort.history_from
    earliest = dates.min().date() if len(dates) else None
    observed_to = sc.cohort.observed_to or (dates.max().date() if len(dates) else None)
    if sc.cohort.history_from is not None and len(dates) and dates.min().date() < history_from:
        first = cohort.use.loc[cohort.use["start"].idxmin()]
        raise InputError(
            f"{up}: line {first['line']}: dated {first['start'].date()}, before "
            f"cohort.history_from {history_from}; the data are said to begin then"
        )
    b = baseline_rates(cohort, services, unit_map, sc.cohort.baseline_months, prog)
    notes: dict[str, Any] = {"history_from": str(history_from), "observed_to": str(observed_to)}
    if history_from is None and earliest is not None:
        before = history_exposure(
            cohort, sc.cohort.baseline_months, np.datetime64(earliest, "D"), prog
        )
        notes["clients_window_before_first_record"] = int(
            (before < sc.cohort.baseline_months).sum()
        )
    outside = rows_outside_windows(cohort, sc.cohort.baseline_months, sc.horizon_months)
    notes["rows_outside_windows"] = int(outside.sum())
    if outside.any():
        notes["first_row_outside_windows"] = int(cohort.use["line"].to_numpy()[outside][0])
    if history_from is not None:
        expo = history_exposure(
            cohort, sc.cohort.baseline_months, np.datetime64(history_from, "D"), prog
        )
        short = expo < sc.cohort.baseline_months
        none = expo <= 0
        # rate over the observed part of the window for clients with a shorter history
        b = b * sc.cohort.baseline_months / np.where(none, 1.0, expo)[:, None]
        notes["clients_with_short_history"] = int((short & ~none).sum())
        notes["clients_without_history"] = int(none.sum())
        if none.all():
            raise InputError(
                f"{cp}: no programme client has any history before its start_date "
                f"(data begin {history_from}); baseline rates cannot be estimated"
            )
        keep = ~none
        prog, b = prog[keep], b[keep]
    else:
        notes["clients_with_short_history"] = 0
        notes["clients_without_history"] = 0
    durations = durations_months(cohort, sc.engagement.duration_months)[prog]
    completed = cohort.clients["completed"].to_numpy()[prog]
    if sc.update.apply and sc.cohort.observed_to is None:
        raise InputError(
            f"{path}: update.apply needs cohort.observed_to, the last date the data cover "
            "(fam cannot tell 'no use' from 'not yet recorded' without it)"
        )
    follow_up, observed = observed_follow_up(
        cohort, services, unit_map, prog, sc.cohort.observed_to, sc.horizon_months
    )
    intake, size = _intake(sc, len(prog), path)

    pc = sc.programme_costs
    money: dict[str, Input] = {}
    for key in ("per_client", "per_client_month", "per_completed_case", "fixed_per_year"):
        d: Dist = getattr(pc, key)
        py = d.price_year or pc.price_year or sc.price_base_year
        factor = _factor(deflators, py, sc.price_base_year, f"{path}: programme_costs.{key}")
        money[key] = Input(
            f"programme_costs.{key}",
            d,
            factor,
            lower=0.0,
            label=f"Programme cost {key.replace('_', ' ')} (uprated from {py} prices)",
            source=pc.source,
        )

    uc_inputs = []
    for r in rows.itertuples():
        lo, hi = r.low_uprated, r.high_uprated
        if pd.notna(lo) and pd.notna(hi) and hi > lo:
            uc_inputs.append(
                Input(
                    f"unit_cost.{r.service}.{r.value_type}",
                    split_uniform(float(lo), float(r.cost_uprated), float(hi)),
                    lower=0.0,
                    label=f"Unit cost {r.service} ({r.value_type})",
                    source=str(r.source),
                )
            )

    cf = sc.counterfactual
    trend_dist = cf.trend
    trend_central: float | None = None
    method = "assumed trend (before/after data, no comparison group)"
    comp = np.flatnonzero(cohort.clients["arm"].to_numpy() == "comparison")
    if cf.method == "comparison":
        if comp.size < 2:
            raise InputError(
                f"{path}: counterfactual.method: 'comparison' needs at least 2 clients with "
                f"arm 'comparison' in {sc.cohort.clients}; found {comp.size}"
            )
        weights = np.zeros(len(services))
        fiscal = rows[rows["value_type"] == "fiscal"]
        np.add.at(weights, fiscal["s_index"].to_numpy(), fiscal["cost_uprated"].to_numpy())
        assert observed_to is not None
        point, reps, info = comparison_trend(
            cohort,
            services,
            unit_map,
            weights,
            sc.cohort.baseline_months,
            cf.ramp_months,
            sc.horizon_months,
            np.datetime64(observed_to, "D"),
            comp,
            1000,
            sc.monte_carlo.seed,
        )
        trend_dist = Empirical(tuple(float(x) for x in reps))
        trend_central = point
        method = (
            f"comparison group ({comp.size} clients): observed change in £-weighted use against "
            f"its own baseline after the {cf.ramp_months}-month ramp, {point:.1%} fell away; "
            "bootstrapped over comparison clients"
        )
        notes["comparison"] = info
    names = [i.name for i in [*uc_inputs, *money.values()]]
    names += ["counterfactual.trend", "engagement.completion", "engagement.non_completer_effect"]
    names += [e.change.name for e in effects if e.change is not None]
    correlations = []
    for g, c in enumerate(sc.correlations):
        members = [
            n for n in dict.fromkeys(names) if any(fnmatch.fnmatchcase(n, p) for p in c.inputs)
        ]
        if len(members) < 2:
            raise InputError(
                f"{path}: correlations.{g}.inputs: matches {len(members)} input(s); a correlation "
                "needs at least 2 (use names such as effects.care_week_*.change)"
            )
        correlations.append((tuple(members), c.rho))
    return ModelInputs(
        scenario=sc,
        scenario_path=path,
        services=services,
        units=units,
        cost_rows=rows,
        baseline=b,
        durations=durations,
        completed=completed,
        intake=intake,
        size=size,
        effects=effects,
        trend=Input(
            "counterfactual.trend",
            trend_dist,
            central_value=trend_central,
            lower=-1.0,
            upper=1.0,
            label="Counterfactual trend (share of baseline use that falls away)",
            source=cf.source,
        ),
        completion=Input(
            "engagement.completion",
            sc.engagement.completion,
            lower=0.0,
            upper=1.0,
            label="Share completing the programme",
            source=sc.engagement.source,
        ),
        non_completer_effect=Input(
            "engagement.non_completer_effect",
            sc.engagement.non_completer_effect,
            lower=0.0,
            upper=1.0,
            label="Effect for non-completers, relative to completers",
            source=sc.engagement.source,
        ),
        programme_costs=money,
        unit_cost_inputs=tuple(uc_inputs),
        optimism_bias=load_optimism_bias(),
        deflators=deflators,
        inputs_sha256=hashes,
        counterfactual_method=method,
        n_data_clients=int(prog.size),
        data_notes=notes,
        follow_up=follow_up,
        observed=observed,
        correlations=correlations,
        clients=cohort.clients.iloc[prog][["client_id", "cohort", "age_at_start"]].reset_index(
            drop=True
        ),
    )
