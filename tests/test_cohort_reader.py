"""The cohort readers: the fast reader gives exactly the careful reader's result, or declines.

`load_cohort` tries `_fast_cohort` (pandas' C parser, checks over arrays) and runs
`_careful_cohort` (line by line) only when the fast one declines (None), so every error is
worded by the careful reader. Here: on every example and bad-input folder, and on hand-made
files with comments, blank lines, padding, CRLF, a BOM and numeric identifiers, the fast
reader either declines or returns frames equal to the careful reader's, value for value and
type for type; and on good files it does not decline.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fam.errors import InputError
from fam.inputs.cohort import CohortData, _careful_cohort, _fast_cohort, load_cohort
from fam.inputs.unit_costs import load_unit_costs
from tests.util import FIXTURES, ROOT

UNITS = {"ae_attendance": "event", "care_week_residential": "week", "custody_night": "night"}
CLIENTS = (
    "client_id,start_date,end_date,completed,arm,cohort,age_at_start\n"
    "007,2020-01-15,,true,programme,A,15\n"
    "7,2020-02-01,2020-08-01,false,comparison,B,\n"
    "12,2020-03-31,,,,A,16.5\n"
)
USE = (
    "client_id,service,start,end,quantity\n"
    "007,ae_attendance,2019-06-01,,2\n"
    "7,care_week_residential,2019-01-01,2019-03-01,\n"
    "007,care_week_residential,2019-03-01,2019-04-01,\n"
    "12,custody_night,2020-01-01,2020-01-05,1\n"
    "12,ae_attendance,2020-05-01,,\n"
)


def both(cp: Path, up: Path, units: dict[str, str]) -> tuple[CohortData | str, object]:
    """(careful result or its error message, fast result / None / its error message)."""
    try:
        careful: CohortData | str = _careful_cohort(cp, up, units)
    except InputError as e:
        careful = str(e)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing may reach the user's stderr as a warning
            fast: object = _fast_cohort(cp, up, units, 10_000.0)
    except InputError as e:
        fast = str(e)
    return careful, fast


def assert_same(careful: CohortData, fast: CohortData) -> None:
    pd.testing.assert_frame_equal(fast.clients, careful.clients, check_exact=True)
    pd.testing.assert_frame_equal(fast.use, careful.use, check_exact=True)
    assert (fast.clients_path, fast.use_path) == (careful.clients_path, careful.use_path)
    assert fast.synthetic == careful.synthetic


def agree(careful: CohortData | str, fast: object) -> None:
    """The fast reader declines, or agrees: the same frames, or the same file-level error."""
    if fast is None:
        return
    if isinstance(careful, str):
        assert fast == careful, (careful, fast)
    else:
        assert isinstance(fast, CohortData), (careful, fast)
        assert_same(careful, fast)


def write(tmp_path: Path, clients: str | bytes, use: str | bytes) -> tuple[Path, Path]:
    cp, up = tmp_path / "clients.csv", tmp_path / "service_use.csv"
    for p, text in ((cp, clients), (up, use)):
        p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return cp, up


def test_plain_files_take_the_fast_path(tmp_path: Path) -> None:
    cp, up = write(tmp_path, CLIENTS, USE)
    careful, fast = both(cp, up, UNITS)
    assert isinstance(careful, CohortData) and isinstance(fast, CohortData)
    assert_same(careful, fast)
    # identifiers are text: 007 and 7 are two clients, not both the number 7
    assert list(fast.clients["client_id"]) == ["007", "7", "12"]
    assert list(fast.use["client"]) == [0, 1, 0, 2, 2]
    assert list(fast.use["line"]) == [2, 3, 4, 5, 6]
    assert list(fast.use["quantity"]) == [2.0, 1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "change",
    [
        "comment lines",
        "blank lines",
        "comma-only line",
        "padded fields",
        "crlf",
        "bom",
        "trailing blank lines",
        "all quantities given",
        "no optional columns",
        "columns reordered",
        "every field quoted",
        "quoted commas and quotes",
        "quotes as plain characters",
        "synthetic marker",
    ],
)
def test_unusual_but_valid_files_agree(tmp_path: Path, change: str) -> None:
    clients, use = CLIENTS, USE
    if change == "comment lines":
        clients = "# extract of 2024-04-01\n" + clients + "# end\n"
        use = use.replace("\n12,", "\n  # a note, with, commas,,\n12,", 1)
    elif change == "blank lines":
        use = use.replace("\n7,", "\n\n\n7,", 1)
    elif change == "comma-only line":
        use = use.replace("\n7,", "\n, ,,,\n7,", 1)
    elif change == "padded fields":
        use = use.replace("007,ae_attendance", " 007 , ae_attendance ")
        clients = clients.replace(",A,", ", A ,")
    elif change == "crlf":
        clients, use = clients.replace("\n", "\r\n"), use.replace("\n", "\r\n")
    elif change == "bom":
        clients, use = "\ufeff" + clients, "\ufeff" + use
    elif change == "trailing blank lines":
        use += "\n\n\n"
    elif change == "all quantities given":
        use = use.replace("-01,\n", "-01,1\n").replace("-05,1\n", "-05,1.0\n")
    elif change == "no optional columns":
        clients = "client_id,start_date\n007,2020-01-15\n7,2020-02-01\n12,2020-03-31\n"
        use = "".join(",".join(line.split(",")[:3]) + "\n" for line in USE.splitlines())
        use = use.replace("2019-01-01\n", "2019-01-02\n")  # events only: spells need 'end'
    elif change == "columns reordered":
        rows = [line.split(",") for line in USE.splitlines()]
        use = "".join(",".join([r[4], r[2], r[0], r[3], r[1]]) + "\n" for r in rows)
    elif change == "every field quoted":  # as R's write.csv does
        quote = lambda text: "".join(  # noqa: E731
            ",".join(f'"{f}"' for f in line.split(",")) + "\n" for line in text.splitlines()
        )
        clients, use = quote(clients), quote(use)
    elif change == "quoted commas and quotes":
        clients = clients.replace(",A,15", ',"A, the ""first"" cohort",15')
    elif change == "synthetic marker":  # as fam import writes above the header
        use = "# imported by fam import\n# SYNTHETIC DATA: not real people\n" + use
    elif change == "quotes as plain characters":
        clients = '# the 12" cohort\n' + clients.replace(",A,15", ',A"1,15')
    cp, up = write(tmp_path, clients, use)
    careful, fast = both(cp, up, UNITS)
    assert isinstance(careful, CohortData), careful
    assert isinstance(fast, CohortData), f"the fast reader declined: {change}"
    assert_same(careful, fast)
    if change == "synthetic marker":
        assert fast.synthetic == "SYNTHETIC DATA: not real people"
        assert list(fast.use["line"]) == [4, 5, 6, 7, 8]


@pytest.mark.parametrize(
    "clients,use",
    [
        (CLIENTS.replace("007,2020-01-15", "007,2020-01-32"), USE),  # not a date
        (CLIENTS.replace("\n7,", "\n007,"), USE),  # duplicate id
        (CLIENTS, USE.replace("\n12,ae", "\n13,ae")),  # client not listed
        (CLIENTS, USE.replace("ae_attendance,2020", "ae_visit,2020")),  # unknown service
        (CLIENTS, USE.replace("-01-05,1", "-01-05,-1")),  # negative quantity
        (CLIENTS, USE.replace("2019-03-01,2019-04-01", "2019-02-01,2019-04-01")),  # overlap
        (CLIENTS, USE.replace("2019-06-01,,2", "2019-06-01,2019-07-01,2")),  # event as spell
        (CLIENTS, USE.replace("2020-01-05", "2019-12-01")),  # spell ends before it starts
        (CLIENTS, USE.replace("\n12,custody", "\n12,custody_night\n12,custody")),  # ragged
        (CLIENTS, USE.replace("2020-05-01,,", "2020-05-01,,,")),  # a field too many
        (
            CLIENTS,
            USE.replace("ae_attendance,2019", 'ae_attendance,"2019').replace("06-01,", '06-01",'),
        ),
        (CLIENTS.replace("A,15", "A,150"), USE),  # absurd age
        (CLIENTS.replace("2020-02-01,2020-08-01", "2020-02-01,2020-01-01"), USE),
        (CLIENTS, b"client_id,service,start\n007,ae_attendance,2019-06-01\xff\n"),
        (CLIENTS.replace(",A,15", ',"A\nB",15'), USE),  # a line break inside quotes
        (CLIENTS.replace(",A,15", ',"A"B,15'), USE),  # text after a closing quote
        (CLIENTS.replace(",A,15", ',"A,15'), USE),  # an unclosed quote
        (CLIENTS.replace(",A,15", ',"A","B",15'), USE),  # a quoted field too many
        (CLIENTS, '"client_id","service","start"\n"007","ae_attendance"\n'),  # too few
        (CLIENTS, 'client_id,service,start\n"#007",ae_attendance,2019-06-01\n'),  # comment
        (CLIENTS, "client_id,service,start\n"),  # no rows
    ],
)
def test_bad_or_odd_files_fall_back_to_the_careful_reader(
    tmp_path: Path, clients: str, use: str | bytes
) -> None:
    cp, up = write(tmp_path, clients, use)
    careful, fast = both(cp, up, UNITS)
    agree(careful, fast)
    try:
        loaded: CohortData | str = load_cohort(cp, up, UNITS)
    except InputError as e:
        loaded = str(e)
    if isinstance(careful, str):
        assert loaded == careful
    else:
        assert isinstance(loaded, CohortData)
        assert_same(careful, loaded)


def scenario_folders() -> list[Path]:
    """Every example scenario, fixture and bad-input case whose scenario names a cohort."""
    out = []
    examples = [*FIXTURES.glob("*/scenario.yaml"), *(ROOT / "scenarios").glob("*.yaml")]
    for p in sorted([*examples, *(ROOT / "tests" / "bad_inputs").glob("*/*.yaml")]):
        if p.name == "expect.yaml":
            continue
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - a bad scenario file is some other case's subject
            continue
        cohort = data.get("cohort") if isinstance(data, dict) else None
        named = isinstance(cohort, dict) and "clients" in cohort and "service_use" in cohort
        # left out: cases whose unit costs or cohort paths are themselves the bad input
        if named and _inputs(p, data) is not None:
            out.append(p)
    return out


def _inputs(scenario: Path, data: dict) -> tuple[Path, Path, dict[str, str]] | None:
    """The cohort's two files and the services' units, or None if they cannot be had."""
    here = scenario.parent
    try:
        table = load_unit_costs([here / f for f in data["unit_costs"]])
        cp, up = here / data["cohort"]["clients"], here / data["cohort"]["service_use"]
    except (InputError, KeyError, TypeError):
        return None
    return cp, up, dict(zip(table["service"], table["unit"], strict=True))


@pytest.mark.parametrize("scenario", scenario_folders(), ids=lambda p: p.parent.name)
def test_examples_and_bad_inputs_agree(scenario: Path) -> None:
    data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    got = _inputs(scenario, data)
    assert got is not None  # scenario_folders keeps only these
    cp, up, units = got
    careful, fast = both(cp, up, units)
    agree(careful, fast)
    if "bad_inputs" not in scenario.parts:  # the examples: good files, read fast
        assert isinstance(fast, CohortData), f"{scenario}: the fast reader declined"
        assert fast.synthetic == careful.synthetic  # type: ignore[union-attr]
