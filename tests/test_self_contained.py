"""The repository is self-contained: every citation can be followed inside it.

Published figures are cited by their identifier in docs/evidence.md (``E-MST-UK-START``);
the model's definitions by a section of docs/method.md. Nothing may point at notes or data
that live outside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.util import ROOT

# Citations of documents that are not part of the repository.
OUTSIDE = re.compile(r"DESIGN\.md|EVIDENCE\.md|\.\./shared|/work/shared")

# An evidence identifier as cited: E-MST-UK-START; a trailing "-*" or "-…" cites a family.
CITED_ID = re.compile(r"\bE-[A-Z0-9]+(?:-[A-Z0-9]+)*(?P<family>-(?:\*|…))?")
# An identifier as defined: the first cell of a row of a table in docs/evidence.md.
DEFINED_ID = re.compile(r"^\| `(E-[A-Z0-9]+(?:-[A-Z0-9]+)*)` \|", re.MULTILINE)

EVIDENCE = ROOT / "docs" / "evidence.md"
SCANNED = ["fam", "docs", "scenarios", "unit_costs", "tests", "benchmarks", "README.md"]
BINARY = {".xlsx", ".pdf", ".png", ".pyc", ".so", ".gz", ".zip"}


def _text_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        top = ROOT / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        for p in candidates:
            if not p.is_file() or p.suffix in BINARY or "__pycache__" in p.parts:
                continue
            if p.resolve() == Path(__file__).resolve():
                continue  # this file names the patterns it looks for
            files.append(p)
    return files


def _read(p: Path) -> str | None:
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def defined_ids() -> set[str]:
    return set(DEFINED_ID.findall(EVIDENCE.read_text(encoding="utf-8")))


def unknown_ids(text: str, known: set[str]) -> list[str]:
    """Identifiers cited in ``text`` that docs/evidence.md does not define."""
    bad = []
    for m in CITED_ID.finditer(text):
        ident = m.group(0)
        if m.group("family"):
            prefix = ident[: -len(m.group("family"))] + "-"
            if not any(k.startswith(prefix) for k in known):
                bad.append(ident)
        elif ident not in known:
            bad.append(ident)
    return bad


def test_nothing_cites_documents_outside_the_repository():
    hits = []
    for p in _text_files():
        text = _read(p)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not hits, "cite docs/evidence.md or docs/method.md instead:\n" + "\n".join(hits)


def test_evidence_identifiers_are_defined_once_with_a_status():
    text = EVIDENCE.read_text(encoding="utf-8")
    ids = DEFINED_ID.findall(text)
    assert len(ids) >= 40
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for line in text.splitlines():
        m = DEFINED_ID.match(line)
        if m:
            status = line.rstrip(" |").rsplit("|", 1)[-1].strip()
            assert re.match(r"^[VSU]\b", status), (m.group(1), status)
    for word in ("**V**", "**S**", "**U**"):
        assert word in text  # the statuses are defined at the top


SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_evidence_identifiers_exist(path: Path):
    text = path.read_text(encoding="utf-8")
    assert CITED_ID.search(text), f"{path.name} cites no docs/evidence.md item"
    assert not unknown_ids(text, defined_ids()), unknown_ids(text, defined_ids())


def test_every_identifier_cited_anywhere_exists():
    known = defined_ids()
    bad = []
    for p in _text_files():
        text = _read(p)
        if text is not None:
            bad += [f"{p.relative_to(ROOT)}: {i}" for i in unknown_ids(text, known)]
    assert not bad, bad
