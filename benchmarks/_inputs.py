"""Synthetic benchmark inputs: a cohort from ``fam.inputs.synth``, a scenario, in a folder.

Not a benchmark itself: ``bench_local.py`` and ``bench_national.py`` call :func:`build`.
Unit costs are the project's own ``unit_costs/uk.csv`` (every synthetic service has a row).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from fam.inputs.synth import PROFILES, synthesise

ROOT = Path(__file__).resolve().parents[1]
UK_COSTS = ROOT / "unit_costs" / "uk.csv"

# effects by service (an illustrative link-worker programme; the values do not matter here)
_EFFECTS = {
    "ae_attendance": -0.25,
    "ambulance_callout": -0.2,
    "nonelective_bed_day": -0.2,
    "arrest_detained": -0.15,
    "rough_sleeping_night": -0.4,
    "hostel_week": 0.1,
    "custody_night_adult": -0.15,
}


def build(
    folder: Path,
    *,
    clients: int,
    services: int,
    horizon_years: int,
    size: int | None = None,
    iterations: int = 10_000,
    seed: int = 20150401,
) -> Path:
    """Write clients.csv, service_use.csv and scenario.yaml into ``folder``; return the scenario.

    ``clients`` adults are synthesised (profile ``adults``, 15 services); the first
    ``services`` of them are kept. ``size`` is the cohort projected (default: ``clients``).
    """
    names = list(PROFILES["adults"].services)[:services]
    if len(names) != services:
        raise ValueError(f"the adults profile has {len(names)} services, asked for {services}")
    folder.mkdir(parents=True, exist_ok=True)
    cl, use = synthesise(
        "adults", clients, seed, start="2015-04", intake_months=60, history_months=12
    )
    use = use[use["service"].isin(names)]
    cl.to_csv(folder / "clients.csv", index=False)
    use.to_csv(folder / "service_use.csv", index=False)
    effects = {
        s: {
            "change": {"dist": "normal", "mean": _EFFECTS.get(s, -0.1), "sd": 0.08},
            "onset_months": 3,
            "half_life_months": 24,
        }
        for s in names
    }
    scenario = {
        "name": f"Benchmark: {size or clients} adults, {services} services",
        "programme": "link_worker",
        "price_base_year": "2024-25",
        "start": "2015-04",
        "horizon_years": horizon_years,
        "period": "month",
        "discounting": {"rate": 0.035, "schedule": "green_book"},
        "perspective": "fiscal",
        "unit_costs": [str(UK_COSTS)],
        "cohort": {
            "clients": "clients.csv",
            "service_use": "service_use.csv",
            "baseline_months": 12,
            "size": size or clients,
            "intake": {"months": 60},
        },
        "programme_costs": {
            "per_client": {
                "dist": "triangular",
                "low": 3000,
                "mode": 4000,
                "high": 6000,
                "price_year": "2024-25",
            },
            "per_client_month": {
                "dist": "uniform",
                "low": 150,
                "high": 250,
                "price_year": "2024-25",
            },
        },
        "counterfactual": {"trend": {"dist": "beta", "mean": 0.2, "sd": 0.08}, "ramp_months": 12},
        "effects": effects,
        "engagement": {
            "duration_months": 18,
            "completion": {"dist": "beta", "mean": 0.65, "sd": 0.05},
            "non_completer_effect": 0.3,
        },
        "optimism_bias": {"apply": True},
        "monte_carlo": {"iterations": iterations, "seed": seed},
        "outputs": {"dir": str(folder / "reports")},
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path
