"""Data protection: no client identifier leaves the run, and nothing from the user is executed."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fam.errors import InputError
from fam.inputs.loading import load
from fam.inputs.scenario import _StrictLoader, read_yaml
from fam.writers.privacy import (
    age_band,
    client_detail_frame,
    neutralise,
    new_salt,
    pseudonymise,
    suppress_small,
)
from tests.util import FIXTURES, ROOT, run_cli

SALT = b"0123456789abcdef0123456789abcdef"
IDS = {"A": "NHS-9434765919", "B": "ZQX-BRAVO-4410", "C": "ZQX-CHARLIE-0092"}
FORMULA_NAME = '=HYPERLINK("http://evil.example","Hand")'


def distinctive_fixture(dest: Path) -> Path:
    """The hand fixture with identifiable-looking client ids and a formula as its name."""
    shutil.copytree(FIXTURES / "hand", dest)
    for name in ("clients.csv", "service_use.csv"):
        p = dest / name
        lines = p.read_text().splitlines()
        for i, line in enumerate(lines):
            cid, sep, rest = line.partition(",")
            if cid in IDS:
                lines[i] = IDS[cid] + sep + rest
        p.write_text("\n".join(lines) + "\n")
    sc = dest / "scenario.yaml"
    sc.write_text(sc.read_text().replace("name: Hand-checked fixture", f"name: '{FORMULA_NAME}'"))
    return sc


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("privacy")
    sc = distinctive_fixture(base / "hand")
    out = base / "out"
    r = run_cli("run", str(sc), "--out", str(out), "-q", "-n", "50")
    assert r.returncode == 0, r.stderr
    for cid in IDS.values():
        assert cid not in r.stdout and cid not in r.stderr
    return out


def test_report_has_all_outputs(report: Path) -> None:
    names = {p.suffix for p in report.iterdir()}
    assert {".xlsx", ".pdf", ".json", ".csv"} <= names


def test_no_client_id_in_workbook_xml(report: Path) -> None:
    (xlsx,) = report.glob("*.xlsx")
    with zipfile.ZipFile(xlsx) as z:
        text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for cid in IDS.values():
        assert cid not in text
    # the formula-like scenario name is stored as text, never as a formula
    for formula in re.findall(r"<f[^>]*>(.*?)</f>", text, flags=re.S):
        assert "HYPERLINK" not in formula and "evil" not in formula


def test_no_client_id_in_pdf_text(report: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    (pdf,) = report.glob("*.pdf")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.strip(), "no text extracted from the briefing"
    for cid in IDS.values():
        assert cid not in text
        assert cid.encode() not in pdf.read_bytes()


def test_no_client_id_in_summary_or_iterations(report: Path) -> None:
    for name in ("summary.json", "iterations.csv"):
        text = (report / name).read_text()
        for cid in IDS.values():
            assert cid not in text, name
    json.loads((report / "summary.json").read_text())


def test_client_detail_frame_has_pseudonyms_only(tmp_path: Path) -> None:
    mi = load(distinctive_fixture(tmp_path / "hand"))
    frame = client_detail_frame(mi, SALT, threshold=1)
    assert len(frame) == 3
    assert "client_id" not in frame.columns
    assert list(frame.columns[:4]) == ["pseudonym", "cohort", "age_band", "programme_months"]
    assert sorted(frame["pseudonym"]) == sorted(pseudonymise(list(IDS.values()), SALT))
    assert frame["pseudonym"].is_monotonic_increasing  # not the file's order
    text = frame.to_csv(index=False)
    for cid in IDS.values():
        assert cid not in text
    assert set(frame["age_band"]) == {"10-17"}
    assert (frame["programme_months"] == 6).all()
    # A's baseline: 12 attendances in the 12-month window -> 1 a month
    row = frame.set_index("pseudonym").loc[pseudonymise([IDS["A"]], SALT)[0]]
    assert row["baseline_ae_attendance_per_month"] == pytest.approx(1.0)
    # three clients are fewer than 5: age band and cohort are generalised
    small = client_detail_frame(mi, SALT)
    assert set(small["age_band"]) == {"suppressed"} and set(small["cohort"]) == {"suppressed"}
    assert "fewer than 5" in small.attrs["note"]


# --------------------------------------------------------------------------- functions


def test_pseudonyms_are_stable_per_salt_and_differ_across_salts() -> None:
    ids = ["A", "B", "C", "A"]
    p1 = pseudonymise(ids, SALT)
    assert p1 == pseudonymise(ids, SALT)
    assert p1[0] == p1[3] and len(set(p1)) == 3
    assert all(re.fullmatch(r"P-[0-9a-f]{10}", t) for t in p1)
    p2 = pseudonymise(ids, new_salt())
    assert not set(p1) & set(p2)
    assert pseudonymise([], SALT) == []


def test_salt_must_be_long_and_random() -> None:
    a, b = new_salt(), new_salt()
    assert isinstance(a, bytes) and len(a) >= 16 and a != b
    with pytest.raises(ValueError, match="salt"):
        pseudonymise(["A"], b"")
    with pytest.raises(ValueError, match="salt"):
        pseudonymise(["A"], b"short")


def test_suppress_small_series_and_frame() -> None:
    s = pd.Series([0, 1, 4, 5, 12], index=list("abcde"))
    out = suppress_small(s)
    assert out.isna().tolist() == [False, True, True, False, False]
    assert out["a"] == 0 and out["d"] == 5 and out["e"] == 12
    assert out.attrs["suppressed_cells"] == 2 and "1 to 4" in out.attrs["note"]
    assert s.tolist() == [0, 1, 4, 5, 12]  # the input is not changed

    df = pd.DataFrame({"agency": ["NHS", "Police"], "clients": [3, 40], "arrests": [0, 9]})
    out_df = suppress_small(df, threshold=10)
    assert out_df["agency"].tolist() == ["NHS", "Police"]
    assert np.isnan(out_df.at[0, "clients"]) and out_df.at[1, "clients"] == 40
    assert out_df.at[0, "arrests"] == 0 and np.isnan(out_df.at[1, "arrests"])
    assert out_df.attrs["suppressed_cells"] == 2
    assert suppress_small(s, threshold=1).attrs["suppressed_cells"] == 0
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="threshold"):
            suppress_small(s, threshold=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_formula_like_text(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Essex MST", "1-2", " =x", "'already"])
def test_neutralise_leaves_plain_text(text: str) -> None:
    assert neutralise(text) == text


def test_age_bands() -> None:
    assert [age_band(a) for a in (0, 9.9, 10, 17, 18, 24, 25, 49, 64, 65, 101)] == [
        "0-9", "0-9", "10-17", "10-17", "18-24", "18-24", "25-34", "35-49", "50-64", "65+",
        "65+",
    ]  # fmt: skip
    assert age_band(float("nan")) == "unknown" and age_band(-3) == "unknown"


# --------------------------------------------------------------------------- no code from users


def test_yaml_python_tag_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    sc = tmp_path / "scenario.yaml"
    sc.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(InputError) as e:
        read_yaml(sc)
    msg = str(e.value)
    assert "\n" not in msg and "not allowed" in msg and "scenario.yaml: line 1" in msg
    assert not marker.exists()
    r = run_cli("run", str(sc), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and r.stderr.startswith("error: ")
    assert r.stderr.count("\n") == 1 and not marker.exists()


def test_yaml_duplicate_key_is_refused(tmp_path: Path) -> None:
    sc = tmp_path / "scenario.yaml"
    sc.write_text("name: a\ncohort:\n  size: 3\n  size: 30\n")
    with pytest.raises(InputError, match=r"line 4: key 'size' appears twice \(first on line 3\)"):
        read_yaml(sc)


FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRS = {"read_pickle", "to_pickle", "unsafe_load", "full_load", "load_all"}
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "_StrictLoader"}


def test_package_never_unpickles_or_evaluates() -> None:
    assert issubclass(_StrictLoader, yaml.SafeLoader)
    problems = []
    for path in sorted((ROOT / "fam").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                if isinstance(node, ast.ImportFrom) and node.module:
                    names.append(node.module)
                bad = {n.split(".")[0] for n in names} & FORBIDDEN_MODULES
                if bad:
                    problems.append(f"{where}:{node.lineno}: imports {sorted(bad)}")
            elif isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
                    problems.append(f"{where}:{node.lineno}: calls {f.id}()")
                if isinstance(f, ast.Attribute) and f.attr in FORBIDDEN_ATTRS:
                    problems.append(f"{where}:{node.lineno}: calls .{f.attr}()")
                if (
                    isinstance(f, ast.Attribute)
                    and f.attr == "load"
                    and isinstance(f.value, ast.Name)
                    and f.value.id == "yaml"
                ):
                    loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
                    name = getattr(loader, "attr", getattr(loader, "id", None))
                    if name not in SAFE_LOADERS:
                        problems.append(f"{where}:{node.lineno}: yaml.load without a SafeLoader")
                for k in node.keywords:
                    if k.arg == "allow_pickle" and not (
                        isinstance(k.value, ast.Constant) and k.value.value is False
                    ):
                        problems.append(f"{where}:{node.lineno}: allow_pickle")
    assert problems == []


def test_client_detail_sheet_is_pseudonymised(tmp_path):
    """--client-detail adds a sheet of pseudonyms; raw ids never appear; a salt file makes
    the pseudonyms stable across runs."""
    import zipfile

    import openpyxl

    from tests.util import FIXTURES, run_cli

    salt = tmp_path / "salt.bin"
    salt.write_bytes(b"0123456789abcdef-test-salt")
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        r = run_cli(
            "run",
            str(FIXTURES / "hand" / "scenario.yaml"),
            "--out",
            str(out),
            "-q",
            "--client-detail",
            "--salt-file",
            str(salt),
        )
        assert r.returncode == 0, r.stderr
        outs.append(out / "scenario.xlsx")
    wb = openpyxl.load_workbook(outs[0], read_only=True)
    rows = list(wb["ClientDetail"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "pseudonym")
    pseud = [r[0] for r in rows[header_at + 1 :] if r and r[0]]
    assert len(pseud) == 3 and all(p.startswith("P-") for p in pseud)
    wb2 = openpyxl.load_workbook(outs[1], read_only=True)
    rows2 = list(wb2["ClientDetail"].iter_rows(values_only=True))
    assert [r[0] for r in rows2[header_at + 1 :] if r and r[0]] == pseud
    with zipfile.ZipFile(outs[0]) as z:
        xml = "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    for cid in ("A", "B", "C"):
        assert f">{cid}<" not in xml
    bad = run_cli(
        "run",
        str(FIXTURES / "hand" / "scenario.yaml"),
        "--out",
        str(tmp_path / "x"),
        "-q",
        "--salt-file",
        str(salt),
    )
    assert bad.returncode == 2
