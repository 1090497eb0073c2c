from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def hand_scenario() -> Path:
    return FIXTURES / "hand" / "scenario.yaml"
