"""Property-based tests: whatever the input, loading succeeds or raises a one-line InputError.

Bounded (max_examples, no deadline) so that the file runs in well under 30 s. For a longer
search set FAM_FUZZ_EXAMPLES (e.g. 5000); `--hypothesis-show-statistics` shows the outcomes.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fam.errors import InputError
from fam.inputs.cohort import (
    CLIENT_OPTIONAL,
    CLIENT_REQUIRED,
    USE_OPTIONAL,
    USE_REQUIRED,
    baseline_rates,
    load_cohort,
    rows_outside_windows,
)
from fam.inputs.scenario import parse_scenario, read_yaml
from tests.util import FIXTURES

UNITS = {"ae_attendance": "event", "care_week_residential": "week", "custody_night": "night"}
N = int(os.environ.get("FAM_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=N,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def assert_one_line(e: InputError) -> None:
    msg = str(e)
    assert msg.strip(), "empty error message"
    assert "\n" not in msg and "\r" not in msg, repr(msg)
    # what kind of error, for --hypothesis-show-statistics
    event("error: " + msg.split(": ")[1 if ": " in msg else 0][:30])


# --------------------------------------------------------------------------- timelines

ids = st.sampled_from(["A", "B", "C", "client 7", "", "Ä", "A "])
valid_dates = st.dates(min_value=dt.date(1900, 1, 1)).map(str)
odd_dates = st.sampled_from(
    ["", "2020-02-30", "2020-13-01", "01/02/2020", "2020-1-1", "0001-01-01", "9999-12-31",
     "2262-04-12", "1677-09-21", "nan", "NaT", "2020-01-01T10:00", "20200101", "-1"]
)  # fmt: skip
dates = st.one_of(valid_dates, odd_dates)
numbers = st.one_of(
    st.just(""),
    st.integers(-5, 20_000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "1e999", "one", "0x10", "1_000", "True"]),
)
cells = st.one_of(st.text(max_size=8), ids, dates, numbers)


def csv_line(fields: list[str]) -> str:
    out = []
    for f in fields:
        if any(ch in f for ch in ',"\n\r'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out)


@st.composite
def header(draw: st.DrawFn, required: tuple[str, ...], optional: tuple[str, ...]) -> list[str]:
    cols = list(required) + draw(st.lists(st.sampled_from(optional), unique=True))
    mutation = draw(st.sampled_from(["none", "none", "none", "drop", "misspell", "dup", "extra"]))
    if mutation == "drop" and cols:
        cols.pop(draw(st.integers(0, len(cols) - 1)))
    elif mutation == "misspell" and cols:
        i = draw(st.integers(0, len(cols) - 1))
        cols[i] = cols[i][::-1]
    elif mutation == "dup" and cols:
        cols.append(draw(st.sampled_from(cols)))
    elif mutation == "extra":
        cols.append(draw(st.text(min_size=1, max_size=6)))
    return draw(st.permutations(cols))


@st.composite
def clients_csv(draw: st.DrawFn) -> str:
    cols = draw(header(CLIENT_REQUIRED, CLIENT_OPTIONAL))
    gen = {
        "client_id": ids,
        "start_date": dates,
        "end_date": st.one_of(st.just(""), dates),
        "completed": st.sampled_from(["true", "false", "", "yes", "maybe", "1"]),
        "arm": st.sampled_from(["programme", "comparison", "", "treatment"]),
        "cohort": st.text(max_size=5),
        "age_at_start": numbers,
    }
    rows = draw(st.lists(st.tuples(*[gen.get(c, cells) for c in cols]), max_size=8))
    lines = [csv_line(cols)] + [csv_line(list(r)) for r in rows]
    if draw(st.booleans()) and lines:  # a ragged row or a comment
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["# note", "A,2020"])))
    return "\n".join(lines) + "\n"


@st.composite
def use_csv(draw: st.DrawFn) -> str:
    cols = draw(header(USE_REQUIRED, USE_OPTIONAL))
    gen = {
        "client_id": ids,
        "service": st.sampled_from([*UNITS, "unknown_service", ""]),
        "start": dates,
        "end": st.one_of(st.just(""), st.just(""), dates),
        "quantity": numbers,
    }
    rows = draw(st.lists(st.tuples(*[gen.get(c, cells) for c in cols]), max_size=12))
    return "\n".join([csv_line(cols)] + [csv_line(list(r)) for r in rows]) + "\n"


@st.composite
def valid_timeline(draw: st.DrawFn) -> tuple[str, str]:
    """Timelines that should load: ids, dates and spells drawn within the rules."""
    n = draw(st.integers(1, 4))
    cl = ["client_id,start_date,end_date,completed,arm,cohort,age_at_start"]
    for i in range(n):
        d = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
        cl.append(f"c{i},{d},,true,programme,1,{draw(st.integers(0, 90))}")
    use = ["client_id,service,start,end,quantity"]
    for _ in range(draw(st.integers(0, 10))):
        c = draw(st.integers(0, n - 1))
        s = draw(st.sampled_from(list(UNITS)))
        a = draw(st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2035, 1, 1)))
        if UNITS[s] == "event":
            use.append(f"c{c},{s},{a},,{draw(st.integers(0, 50))}")
        else:
            b = a + dt.timedelta(days=draw(st.integers(1, 400)))
            use.append(f"c{c},{s},{a},{b},")
    return "\n".join(cl) + "\n", "\n".join(use) + "\n"


def try_load(clients: bytes, use: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        cp, up = Path(d) / "clients.csv", Path(d) / "service_use.csv"
        cp.write_bytes(clients)
        up.write_bytes(use)
        try:
            cohort = load_cohort(cp, up, UNITS)
        except InputError as e:
            assert_one_line(e)
            return
        event("loaded")
        # a loaded cohort must also be usable downstream
        services = sorted(UNITS)
        b = baseline_rates(cohort, services, UNITS, 12)
        assert b.shape == (len(cohort.clients), len(services))
        assert np.isfinite(b).all() and (b >= 0).all()
        assert len(rows_outside_windows(cohort, 12, 120)) == len(cohort.use)


@FUZZ
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_cohort_random_bytes(clients: bytes, use: bytes) -> None:
    try_load(clients, use)


@FUZZ
@given(clients_csv(), use_csv())
def test_cohort_random_tables(clients: str, use: str) -> None:
    try_load(clients.encode("utf-8"), use.encode("utf-8"))


@FUZZ
@given(valid_timeline())
def test_cohort_valid_or_clear_timelines(timeline: tuple[str, str]) -> None:
    # overlapping spells are drawn too: they must be refused with a one-line error
    clients, use = timeline
    try_load(clients.encode(), use.encode())


# --------------------------------------------------------------------------- scenarios

BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "hand" / "scenario.yaml").read_text())
KEYS = ["name", "dist", "mean", "sd", "low", "high", "mode", "value", "values", "a", "b",
        "months", "per_month", "iterations", "seed", "rate", "change", "price_year", "cohort",
        "effects", "programme_costs", "engagement", "completion", "trend"]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["2024-25", "2024-04", "normal", "beta", "fixed", "green_book", "month"]),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=12,
)


def paths(d: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(d, dict):
        for k, v in d.items():
            out += paths(v, (*prefix, k))
    return out


@st.composite
def mutated_scenario(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(data)))
        *parents, leaf = path
        node = data
        for k in parents:
            node = node[k]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            node[leaf] = draw(values)
        elif action == "delete":
            del node[leaf]
        elif isinstance(node, dict):
            node[draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)))] = draw(values)
        if not paths(data):
            break
    return data


def try_parse(data: Any) -> None:
    try:
        parse_scenario(data, "fuzz.yaml")
        event("parsed")
    except InputError as e:
        assert_one_line(e)
        assert str(e).startswith("fuzz.yaml")


@FUZZ
@given(values)
def test_scenario_random_values(data: Any) -> None:
    try_parse(data)


@FUZZ
@given(mutated_scenario())
def test_scenario_mutations(data: Any) -> None:
    try_parse(data)


def test_line_breaks_from_the_input_stay_escaped() -> None:
    """Found by test_scenario_mutations: a key holding a newline was echoed into the message,
    which then ran over two lines. InputError escapes line breaks, whatever raised it."""
    data = copy.deepcopy(BASE)
    data["programme_costs"]["per_client"] = {"dist": "fixed", "value": 1, "\n": 1}
    try:
        parse_scenario(data, "fuzz.yaml")
    except InputError as e:
        assert len(str(e).splitlines()) == 1, repr(str(e))
        assert "got {\\n, value}" in str(e)
    else:
        raise AssertionError("an unknown key in a distribution was accepted")
    for text in ("a\nb", "a\r\nb", "a\u2028b", "a\x0bb"):
        assert len(str(InputError(text)).splitlines()) == 1


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=200), values.map(lambda v: yaml.safe_dump(v))))
def test_scenario_random_yaml_text(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "scenario.yaml"
        p.write_text(text, encoding="utf-8")
        try:
            try_parse(read_yaml(p))
        except InputError as e:
            assert_one_line(e)


def _csv_module_records(text: str) -> list[tuple[int, list[str]]]:
    """What read_table's csv.reader path keeps: non-blank, non-comment records by line."""
    import csv
    import io

    out, line = [], 1
    reader = csv.reader(io.StringIO(text, newline=""))
    for rec in reader:
        if "".join(rec).strip() and not rec[0].lstrip().startswith("#"):
            out.append((line, rec))
        line = reader.line_num + 1
    return out


@FUZZ
@given(st.lists(st.sampled_from(list("ab1,# \t\n\u00a0\u2003") + ["\r\n", "\r", '"', "\x0b"])))
def test_fast_csv_path_matches_csv_module(pieces):
    """The no-quotes fast path gives exactly the csv module's records and line numbers, and
    declines (None) whenever it could differ."""
    from fam.inputs.cohort import _csv_records

    text = "".join(pieces)
    fast = _csv_records(text)
    event("fast path" if fast is not None else "csv module")
    if fast is not None:
        assert fast == _csv_module_records(text)


# --------------------------------------------------------------------------- the two readers


def fast_and_careful(clients: bytes, use: bytes) -> None:
    """The fast cohort reader declines (None) or gives exactly the careful reader's result."""
    import warnings

    import pandas as pd

    from fam.inputs.cohort import _careful_cohort, _fast_cohort

    with tempfile.TemporaryDirectory() as d:
        cp, up = Path(d) / "clients.csv", Path(d) / "service_use.csv"
        cp.write_bytes(clients)
        up.write_bytes(use)
        try:
            careful = _careful_cohort(cp, up, UNITS)
        except InputError as e:
            careful = e
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # none may reach the user's stderr
                fast = _fast_cohort(cp, up, UNITS, 10_000.0)
        except InputError as e:
            fast = e
        event("fast reader declined" if fast is None else "fast reader answered")
        if fast is None:
            return
        if isinstance(careful, InputError):
            assert isinstance(fast, InputError) and str(fast) == str(careful), (careful, fast)
            return
        assert not isinstance(fast, InputError), fast
        pd.testing.assert_frame_equal(fast.clients, careful.clients, check_exact=True)
        pd.testing.assert_frame_equal(fast.use, careful.use, check_exact=True)


@FUZZ
@given(clients_csv(), use_csv())
def test_fast_reader_random_tables(clients: str, use: str) -> None:
    fast_and_careful(clients.encode("utf-8"), use.encode("utf-8"))


@FUZZ
@given(valid_timeline(), st.sampled_from(["", "# note\n", "\n", " , ,\n", '# "quoted"\n']))
def test_fast_reader_valid_timelines(timeline: tuple[str, str], extra: str) -> None:
    clients, use = timeline
    head, _, rest = use.partition("\n")
    fast_and_careful(clients.encode(), (head + "\n" + extra + rest + extra).encode())


@FUZZ
@given(clients_csv(), use_csv(), st.booleans())
def test_fast_reader_every_field_quoted(clients: str, use: str, quote_header: bool) -> None:
    """As R's write.csv writes: every field in quotes, inner quotes doubled."""

    def quote_all(text: str) -> str:
        import csv
        import io

        out = io.StringIO()
        w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if rows and not quote_header:
            out.write(",".join(rows[0]) + "\n")
            rows = rows[1:]
        w.writerows(rows)
        return out.getvalue()

    fast_and_careful(quote_all(clients).encode("utf-8"), quote_all(use).encode("utf-8"))
