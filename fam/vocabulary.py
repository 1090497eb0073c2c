"""The model's vocabulary: value types, units, perspectives and the date forms of its inputs.

Every module takes these names from here, so that a unit, a value type or a perspective is
defined once. Nothing here reads files or depends on another fam module.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

# --------------------------------------------------------------------------- value types

# what a unit cost values: a saving to public budgets (fiscal), a wider economic gain to
# society, a social (wellbeing) value, or a transfer (a payment such as a welfare benefit
# that moves money between the state and a person: a saving to the paying agency's budget,
# no gain to society as a whole)
VALUE_TYPES = ("fiscal", "economic", "social", "transfer")

# the value types each perspective counts: a transfer is in the fiscal ledger of the agency
# that pays it, but not in public value (HM Treasury Green Book; GMCA/New Economy CBA
# guidance: docs/evidence.md E-CONV-TRANSFERS)
FISCAL_VALUE_TYPES = ("fiscal", "transfer")
PUBLIC_VALUE_TYPES = ("fiscal", "economic", "social")

# --------------------------------------------------------------------------- units

# the units a unit cost may be quoted in
UNITS = ("event", "night", "day", "week", "month", "year", "hour", "session")

# days in one unit, for the time units (spells of use are counted in days and converted);
# a month is 365/12 days
DAYS_PER_UNIT = {"night": 1.0, "day": 1.0, "week": 7.0, "month": 365.0 / 12.0, "year": 365.0}

# units that measure time (a spell from start to end can be counted in them)
TIME_UNITS = tuple(DAYS_PER_UNIT)

# units that count occurrences; they cannot be given as spells
EVENT_UNITS = ("event", "hour", "session")

# one month expressed in each time unit: a month is 365/12 days, so 365/12 nights or days,
# 365/84 weeks (365/12 days / 7 days a week), 1 month and 1/12 year. Event units (event,
# hour, session) have no time length and so no entry.
MONTH_IN_UNIT = {
    "night": 365.0 / 12.0,
    "day": 365.0 / 12.0,
    "week": 365.0 / 84.0,
    "month": 1.0,
    "year": 1.0 / 12.0,
}

# --------------------------------------------------------------------------- perspectives

Perspective = Literal["fiscal", "fiscal_cashable", "public_value"]

# whose benefits count: public budgets (fiscal, transfers included), the cashable share of
# them only, or fiscal, economic and social value together (public value, transfers
# excluded); the order is that of every output
PERSPECTIVES: tuple[str, ...] = get_args(Perspective)

# short labels (workbook cells)
PERSPECTIVE_LABEL: dict[str, str] = {
    "fiscal": "fiscal (public bodies' budgets)",
    "fiscal_cashable": "fiscal, cashable share only",
    "public_value": "public value (fiscal + economic + social, no transfers)",
}

# longer descriptions (briefing text); the part before " (" names the perspective
PERSPECTIVE_DESCRIPTION: dict[str, str] = {
    "fiscal": "fiscal (savings to public budgets)",
    "fiscal_cashable": "fiscal cashable (only savings that can be taken out as cash)",
    "public_value": "public value (fiscal, economic and social value, without transfers)",
}

# what each perspective counts, keyed by perspective (the weights of a cost row of a value type
# with cashable share c: 1 if counted, c for the cashable perspective, 0 if not)
PERSPECTIVE_VALUE_TYPES: dict[str, tuple[str, ...]] = {
    "fiscal": FISCAL_VALUE_TYPES,
    "fiscal_cashable": FISCAL_VALUE_TYPES,
    "public_value": PUBLIC_VALUE_TYPES,
}

# --------------------------------------------------------------------------- dates

# a UK financial year, e.g. 2024-25 (April 2024 to March 2025): YYYY-YY, consecutive years
FY_RE = re.compile(r"(\d{4})-(\d{2})")
# a calendar month, e.g. 2013-04: YYYY-MM
MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


def is_financial_year(text: str) -> bool:
    """True if text is exactly a UK financial year `YYYY-YY` whose years are consecutive."""
    m = FY_RE.fullmatch(text)
    return m is not None and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def is_calendar_month(text: str) -> bool:
    """True if text is exactly a calendar month `YYYY-MM` (month 01 to 12)."""
    m = MONTH_RE.fullmatch(text)
    return m is not None and 1 <= int(m.group(2)) <= 12
