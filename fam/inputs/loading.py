"""Load and validate every input of a scenario into typed, immutable model inputs.

This is the only stage that reads files. Its output, `ModelInputs`, holds arrays and
parsed distributions only; the engine is a pure function of it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import yaml

from fam.errors import InputError
from fam.inputs.cohort import (
    CohortData,
    _month_of,
    baseline_rates,
    comparison_trend,
    history_exposure,
    load_cohort,
    monthly_use,
    observed_follow_up,
    rows_outside_windows,
)
from fam.inputs.files import check_input_file, read_input_bytes
from fam.inputs.forms_schema import check_forms, resolve_services
from fam.inputs.scenario import Scenario, canonical_json, parse_scenario, read_yaml
from fam.inputs.unit_costs import (
    DEFAULT_DEFLATORS,
    Deflators,
    load_deflators,
    load_unit_costs,
    uprate_costs,
)
from fam.model.distributions import Beta, Dist, Empirical, Gamma, fixed, split_uniform
from fam.model.forms import NO_CUT as NO_CUT_FORMS
from fam.model.forms import (
    age_cut_month,
    estimate_rates,
    estimate_transitions,
    monthly_states,
    start_state_from_spells,
)
from fam.vocabulary import FISCAL_VALUE_TYPES


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
    confidence: int | None = None  # evidence grade of the effect (optimism bias)


@dataclass(frozen=True)
class RateInputs:
    """An absolute-rate counterfactual: one input per step (or per relative month when
    estimated from the comparison arm)."""

    service: int
    from_months: tuple[int, ...]
    values: tuple[Input, ...]


@dataclass(frozen=True)
class ChainInputs:
    """The placement chain: states, where each client starts, transitions and their effects."""

    states: tuple[str, ...]
    state_service: tuple[int, ...]  # service index of each state, -1 for none
    start: np.ndarray  # [client] start state, or all -1 when `shares` apply
    shares: np.ndarray  # [S]
    trans_from: tuple[int, ...]
    trans_to: tuple[int, ...]
    trans: tuple[Input, ...]  # monthly probability of each move
    effects: tuple[tuple[int, Input, float, float | None], ...]  # (move, change, onset, half)
    cut: np.ndarray  # [client] age cut month of the chain (no cut: a large number)
    unobserved: tuple[str, ...] = ()  # states with no comparison client-month (estimated)


@dataclass(frozen=True)
class Forms:
    """Per-service counterfactual forms (docs/method.md, "Counterfactual forms")."""

    kind: np.ndarray  # [s] 0 own-baseline trend, 1 absolute rate, 2 placement state
    trends: tuple[Input | None, ...]  # [s] the service's own trend (None: the scenario's)
    rates: tuple[RateInputs, ...]
    chain: ChainInputs | None
    until_age: tuple[float | None, ...]  # [s]
    cut: np.ndarray  # [client, s] age cut month (no cut: a large number)
    clients_without_age: int  # clients not cut for want of an age, where a cut applies


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
    # Personal data: no writer may output client_id (see fam.writers.privacy.client_detail_frame).
    clients: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    forms: Forms | None = None  # per-service forms and the placement chain (v2), if any
    # a workbook run: inputs changed since fam wrote the workbook ("key: old -> new")
    edits: tuple[str, ...] = ()
    # the cohort files' own note that they are synthetic ('' for real data): every output
    # built from them says so (docs/outputs.md)
    synthetic: str = ""
    # additionality: benefits x (1 - attribution) x (1 - displacement)
    attribution: Input = field(
        default_factory=lambda: Input("additionality.attribution", fixed(0.0), lower=0, upper=1)
    )
    displacement: Input = field(
        default_factory=lambda: Input("additionality.displacement", fixed(0.0), lower=0, upper=1)
    )

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
        out += [self.attribution, self.displacement]
        seen: set[str] = set()
        uniq = []
        if self.forms is not None:
            out += [t for t in self.forms.trends if t is not None]
            out += [v for r in self.forms.rates for v in r.values]
            if self.forms.chain is not None:
                out += list(self.forms.chain.trans) + [e[1] for e in self.forms.chain.effects]
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
    return hashlib.sha256(read_input_bytes(path)).hexdigest()


def _resolve(base: Path, rel: str, key: str, scenario_path: Path) -> Path:
    """The input file a scenario key names; refused unless it is a regular file within the
    size limit (fam.inputs.files), before anything reads it."""
    p = base / rel if not Path(rel).is_absolute() else Path(rel)
    try:
        p = p.resolve()
    except (OSError, RuntimeError):  # a symbolic-link loop (RuntimeError before Python 3.13)
        raise InputError(
            f"{scenario_path}: {key}: {rel}: a loop of symbolic links; expected a file"
        ) from None
    if not p.exists() and not p.is_symlink():
        raise InputError(
            f"{scenario_path}: {key}: file not found: {rel} (relative to the scenario)"
        )
    try:
        check_input_file(p)
    except InputError as e:
        raise InputError(f"{scenario_path}: {key}: {e}") from None
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


def short_name(description: str, limit: int = 40) -> str:
    """A unit cost's description cut to a reader's short name: no parentheses, nothing after a
    colon, only the first clause when long ('Arrest with detention: police costs' -> 'Arrest
    with detention')."""
    s = re.sub(r"\s*\([^)]*\)", "", str(description)).split(":")[0].strip()
    if len(s) > limit:
        s = s.split(",")[0].strip()
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def effect_label(services: Sequence[str], names: Mapping[str, str]) -> str:
    """'Change in use: A&E attendance; Arrest with detention and 2 more'."""
    desc = [names.get(s, s) for s in services]
    shown = "; ".join(desc[:2]) + (f" and {len(desc) - 2} more" if len(desc) > 2 else "")
    return f"Change in use: {shown}"


def resolve_effects(
    sc: Scenario,
    services: tuple[str, ...],
    known: set[str],
    path: Path,
    names: Mapping[str, str] | None = None,
) -> tuple[ServiceEffect, ...]:
    """Match effect keys (service codes or glob patterns such as 'custody_night_*').

    `names` (service -> short name) labels each effect by the services it covers."""
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
    key_of: list[str] = []
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
        key_of.append(key)
    for s, key in zip(services, key_of, strict=True):
        if key:
            e = sc.effects[key]
            inp = Input(
                f"effects.{key}.change",
                e.change,
                lower=-1.0,
                label=effect_label(
                    [t for t, k in zip(services, key_of, strict=True) if k == key], names or {}
                ),
                source=e.source or sc.sources.get(f"effects.{key}", ""),
            )
            out.append(ServiceEffect(s, inp, e.onset_months, e.half_life_months, e.confidence))
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
    written: dict[str, str] | None = None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from fam.inputs.workbook_input import read_workbook

        wbs = read_workbook(path)
        data, table, base, written = wbs.data, wbs.table, wbs.base, wbs.written
    else:
        data = read_yaml(path)
    if overrides and isinstance(data, dict):
        for dotted, value in overrides.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
    mi = load_from_scenario(parse_scenario(data, path), path, base, table)
    if written is not None:
        from fam.inputs.workbook_input import edits, input_fingerprint

        now = input_fingerprint(mi.scenario.model_dump(mode="json"), mi.cost_rows)
        mi = dataclasses.replace(mi, edits=edits(written, now))
    return mi


def _table_sha256(table: pd.DataFrame) -> str:
    from fam.inputs.unit_costs import COLUMNS

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
    # services with a form or a placement state may have no use in the data (entry into care)
    used |= {k for k in sc.counterfactual.services if k in known}
    if sc.placements is not None:
        used |= {s for s in sc.placements.states.values() if s is not None and s in known}
    services = tuple(sorted(used))
    units = tuple(units_by_service[s] for s in services)
    short_names = {
        str(r.service): short_name(str(r.description))
        for r in table.drop_duplicates("service").itertuples()
        if str(r.description).strip()
    }
    effects = resolve_effects(sc, services, known, path, short_names)

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
    own_only = sc.placements is None and all(
        f.trend is None and f.rate is None for f in sc.counterfactual.services.values()
    )
    if sc.update.apply and not own_only:
        raise InputError(
            f"{path}: update.apply: the update from observed follow-up works with the "
            "scenario's own-baseline trend (and until_age); it cannot be used with a "
            "service's own trend or rate, or with placements, yet"
        )
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
        fiscal = rows[rows["value_type"].isin(FISCAL_VALUE_TYPES)]
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
        if not -1.0 <= point <= 1.0:
            raise InputError(
                f"{path}: counterfactual.method: 'comparison': the comparison group's "
                f"£-weighted use came out at {1 - point:.3g} times its own baseline (trend "
                f"{point:.3g}, outside -1 to 1): use that was not there before referral, such "
                "as entry into care, cannot be a share of baseline use; give those services "
                "counterfactual.services.<service>.rate: comparison, or placements with "
                "transitions: comparison (docs/method.md, section 10)"
            )
        trend_dist = Empirical(tuple(float(x) for x in reps))
        # the central value is the mean of the draws the Monte Carlo uses (clipped to -1..1
        # like every draw), so that the central case and the simulations agree
        trend_central = float(np.mean(reps))
        method = (
            f"comparison group ({comp.size} clients): observed change in £-weighted use against "
            f"its own baseline after the {cf.ramp_months}-month ramp, {point:.1%} fell away; "
            "bootstrapped over comparison clients"
        )
        notes["comparison"] = info
    names = [i.name for i in [*uc_inputs, *money.values()]]
    names += ["counterfactual.trend", "engagement.completion", "engagement.non_completer_effect"]
    names += ["additionality.attribution", "additionality.displacement"]
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
    ob = load_optimism_bias()
    forms = load_forms(sc, path, cohort, prog, services, units, observed_to, ob)
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
        optimism_bias=ob,
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
        forms=forms,
        synthetic=cohort.synthetic,
        attribution=_additionality(sc, "attribution"),
        displacement=_additionality(sc, "displacement"),
    )


def _additionality(sc: Scenario, key: str) -> Input:
    add = sc.additionality
    labels = {
        "attribution": "Attribution (share of the benefits due to others)",
        "displacement": "Displacement (share of the benefits moved elsewhere)",
    }
    return Input(
        f"additionality.{key}",
        getattr(add, key),
        lower=0.0,
        upper=1.0,
        label=labels[key],
        source=add.source or sc.sources.get(f"additionality.{key}", ""),
    )


NO_CUT = 1 << 40  # an age cut month that never comes


def _shares_dist(moves: float, exposure: float) -> Dist:
    """Beta(moves, exposure - moves): mean moves / exposure exactly (fixed at 0 or 1 at the
    edges)."""
    if moves <= 0 or exposure <= 0:
        return fixed(0.0)
    if moves >= exposure:
        return fixed(1.0)
    return Beta(float(moves), float(exposure - moves))


def _rate_dist(count: float, exposure: float) -> Dist:
    """Gamma(count, 1 / exposure): mean count / exposure exactly (fixed at 0 without use)."""
    if count <= 0 or exposure <= 0:
        return fixed(0.0)
    return Gamma(float(count), 1.0 / float(exposure))


def _cut(ages: np.ndarray, until: float | None) -> np.ndarray:
    if until is None:
        return np.full(len(ages), NO_CUT, dtype=np.int64)
    c = age_cut_month(ages, until).months
    return np.where(c == NO_CUT_FORMS, NO_CUT, c).astype(np.int64)


def load_forms(
    sc: Scenario,
    path: Path,
    cohort: CohortData,
    prog: np.ndarray,
    services: tuple[str, ...],
    units: tuple[str, ...],
    observed_to: Any,
    ob: Mapping[int, Mapping[str, float]],
) -> Forms | None:
    """The per-service forms and the placement chain of a scenario (None without them)."""
    if not sc.uses_forms:
        return None
    where = str(path)
    unit_of = dict(zip(services, units, strict=True))
    check_forms(sc.counterfactual, sc.placements, _effects_v2(sc), unit_of, where)
    n_s = len(services)
    sidx = {s: i for i, s in enumerate(services)}
    ages = pd.to_numeric(cohort.clients["age_at_start"], errors="coerce").to_numpy(float)[prog]
    kind = np.zeros(n_s, dtype=np.int64)
    pl = sc.placements
    state_svcs = [] if pl is None else [s for s in pl.states.values() if s is not None]
    for svc in state_svcs:
        kind[sidx[svc]] = 2
    forms = resolve_services(sc.counterfactual, services, where, state_svcs)
    trends: list[Input | None] = [None] * n_s
    rates: list[RateInputs] = []
    until: list[float | None] = [None] * n_s
    comp = np.flatnonzero(cohort.clients["arm"].to_numpy() == "comparison")
    h = sc.horizon_months
    for svc, (key, form) in forms.items():
        si = sidx[svc]
        until[si] = form.until_age
        name = f"counterfactual.services.{key}"
        if form.trend is not None:
            trends[si] = Input(
                f"{name}.trend",
                form.trend,
                lower=-1.0,
                upper=1.0,
                label=f"Counterfactual trend of {key} (share of its baseline use that falls away)",
                source=form.source or sc.counterfactual.source,
            )
        if form.rate is None:
            continue
        kind[si] = 1
        if form.rate == "comparison":
            use, observed = _comparison_months(
                cohort, [svc], unit_of, comp, observed_to, h, where, name
            )
            est = estimate_rates(use, observed)
            values = tuple(
                Input(
                    f"{name}.{svc}.rate.m{t}" if key != svc else f"{name}.rate.m{t}",
                    _rate_dist(
                        float(est.count[0, est.source_month[t]]),
                        float(est.exposure[est.source_month[t]]),
                    ),
                    lower=0.0,
                    label=f"{svc}: use per client in relative month {t}, comparison arm",
                    source=f"estimated from {comp.size} comparison clients",
                )
                for t in range(h)
            )
            rates.append(RateInputs(si, tuple(range(h)), values))
        else:
            rates.append(
                RateInputs(
                    si,
                    tuple(st.from_month for st in form.rate),
                    tuple(
                        Input(
                            f"{name}.rate.{j}" if key == svc else f"{name}.{svc}.rate.{j}",
                            st.value,
                            lower=0.0,
                            label=f"{svc}: use per client per month from month {st.from_month}",
                            source=form.source or sc.counterfactual.source,
                        )
                        for j, st in enumerate(form.rate)
                    ),
                )
            )
    cut = np.full((len(prog), n_s), NO_CUT, dtype=np.int64)
    without = np.zeros(len(prog), dtype=bool)
    for s in range(n_s):
        if until[s] is not None:
            cut[:, s] = _cut(ages, until[s])
            without |= np.isnan(ages)
    chain = None
    if pl is not None:
        chain = _chain(sc, pl, cohort, prog, sidx, unit_of, comp, observed_to, ages, where)
        if pl.until_age is not None:
            without |= np.isnan(ages)
        for si in chain.state_service:
            if si >= 0:
                cut[:, si] = chain.cut
    return Forms(
        kind=kind,
        trends=tuple(trends),
        rates=tuple(rates),
        chain=chain,
        until_age=tuple(until),
        cut=cut,
        clients_without_age=int(without.sum()),
    )


def _effects_v2(sc: Scenario) -> Any:
    """The scenario's effects as fam.inputs.forms_schema.check_forms reads them."""
    return SimpleNamespace(services=dict(sc.effects), placements=dict(sc.placement_effects))


def _comparison_months(
    cohort: CohortData,
    svcs: list[str],
    units: Mapping[str, str],
    comp: np.ndarray,
    observed_to: Any,
    h: int,
    where: str,
    name: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly use [c, s, t] of the comparison clients and which months are observed [c, t]."""
    if comp.size == 0:
        raise InputError(
            f"{where}: {name}: 'comparison' needs clients with arm 'comparison' in "
            f"{cohort.clients_path}; found none"
        )
    if observed_to is None:
        raise InputError(
            f"{where}: {name}: 'comparison' needs the date the data end (cohort.observed_to)"
        )
    start = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")[comp]
    day_after = np.full(comp.size, np.datetime64(observed_to, "D") + np.timedelta64(1, "D"))
    f_c = np.clip(_month_of(start, day_after), 0, h)
    observed = np.arange(h)[None, :] < f_c[:, None]
    use = monthly_use(cohort, svcs, units, 0, h, comp)
    return use, observed


def _chain(
    sc: Scenario,
    pl: Any,
    cohort: CohortData,
    prog: np.ndarray,
    sidx: Mapping[str, int],
    unit_of: Mapping[str, str],
    comp: np.ndarray,
    observed_to: Any,
    ages: np.ndarray,
    where: str,
) -> ChainInputs:
    states = tuple(pl.states)
    n = len(states)
    st_svc = tuple(-1 if pl.states[s] is None else sidx[pl.states[s]] for s in states)
    svc_state = {pl.states[s]: i for i, s in enumerate(states) if pl.states[s] is not None}
    use = cohort.use[cohort.use["service"].isin(list(svc_state)) & cohort.use["end"].notna()]
    spells = (
        use["client"].to_numpy(),
        use["service"].map(svc_state).to_numpy(),
        use["start"].to_numpy(),
        use["end"].to_numpy(),
    )
    starts = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")
    if pl.start == "data":
        st_all, _ = start_state_from_spells(starts, *spells, n)
        start = st_all[prog]
        shares = np.bincount(start, minlength=n) / max(1, len(start))
    else:
        start = np.full(len(prog), -1, dtype=np.int64)
        shares = np.array([float(pl.start.get(s, 0.0)) for s in states])
    moves: list[tuple[int, int]] = []
    trans: list[Input] = []
    unobserved: tuple[str, ...] = ()
    if pl.transitions == "comparison":
        if comp.size == 0 or observed_to is None:
            _comparison_months(
                cohort, [], unit_of, comp, observed_to, 1, where, "placements.transitions"
            )
        h = sc.horizon_months
        cl, stt, a, b = spells
        pos = np.full(len(cohort.clients), -1)
        pos[comp] = np.arange(comp.size)
        keep = pos[cl] >= 0
        states_ct, _ = monthly_states(
            starts[comp], pos[cl][keep], stt[keep], a[keep], b[keep], n, h
        )
        day_after = np.full(comp.size, np.datetime64(observed_to, "D") + np.timedelta64(1, "D"))
        f_c = np.clip(_month_of(starts[comp], day_after), 0, h)
        observed = np.arange(h)[None, :] < f_c[:, None]
        est = estimate_transitions(states_ct, observed, n)
        unobserved = tuple(states[i] for i in np.flatnonzero(est.unobserved))
        expo = est.exposure
        for i in range(n):
            for j in range(n):
                if i != j and expo[i] > 0:
                    moves.append((i, j))
                    trans.append(
                        Input(
                            f"placements.transitions.{states[i]}.{states[j]}",
                            _shares_dist(float(est.alpha[i, j]), float(expo[i])),
                            lower=0.0,
                            upper=1.0,
                            label=f"Monthly chance of moving {states[i]} -> {states[j]} "
                            "(comparison arm)",
                            source=f"estimated from {comp.size} comparison clients",
                        )
                    )
    else:
        for a_name, row in pl.transitions.items():
            for b_name, d in row.items():
                i, j = states.index(a_name), states.index(b_name)
                moves.append((i, j))
                trans.append(
                    Input(
                        f"placements.transitions.{a_name}.{b_name}",
                        d,
                        lower=0.0,
                        upper=1.0,
                        label=f"Monthly chance of moving {a_name} -> {b_name}",
                        source=pl.source,
                    )
                )
    effects = []
    for key, eff in sc.placement_effects.items():
        a_name, b_name = pl.allowed(key)
        pair = (states.index(a_name), states.index(b_name))
        if pair not in moves:
            raise InputError(
                f"{where}: effects.placements.{key}: no such move in placements.transitions"
            )
        effects.append(
            (
                moves.index(pair),
                Input(
                    f"effects.placements.{key}.change",
                    eff.change,
                    lower=-1.0,
                    label=f"Effect on the monthly chance of {key} (relative change)",
                    source=eff.source,
                ),
                float(eff.onset_months),
                eff.half_life_months,
            )
        )
    return ChainInputs(
        states=states,
        state_service=st_svc,
        start=start,
        shares=shares,
        trans_from=tuple(m[0] for m in moves),
        trans_to=tuple(m[1] for m in moves),
        trans=tuple(trans),
        effects=tuple(effects),
        cut=_cut(ages, pl.until_age),
        unobserved=unobserved,
    )
