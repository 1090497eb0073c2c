"""Data protection: pseudonyms, small-number suppression and spreadsheet-safe text.

The cohort files hold personal data about vulnerable people. fam's reports are aggregates;
where a report needs per-client rows (the optional client-detail sheet), they carry a salted
pseudonym instead of the client_id, banded ages, and quasi-identifiers generalised so that
every shown combination covers at least `threshold` clients. See docs/errors_and_privacy.md.

Pure functions: nothing here reads or writes files.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from fam.errors import InputError

if TYPE_CHECKING:
    from fam.inputs.loading import ModelInputs

MIN_SALT_BYTES = 16
TOKEN_HEX = 10  # 40 bits: collisions are negligible for cohorts of thousands
SUPPRESSED = "suppressed"
# text a spreadsheet may read as a formula, or that hides one (OWASP "CSV injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
AGE_BANDS = ((0, 10, "0-9"), (10, 18, "10-17"), (18, 25, "18-24"), (25, 35, "25-34"),
             (35, 50, "35-49"), (50, 65, "50-64"), (65, 200, "65+"))  # fmt: skip

Counts = TypeVar("Counts", pd.DataFrame, pd.Series)


def new_salt() -> bytes:
    """A fresh random salt (32 bytes from the operating system's secure generator)."""
    return secrets.token_bytes(32)


def read_salt(path: Path) -> bytes:
    """A salt file's bytes (a regular file within the input size limit), refused if shorter
    than MIN_SALT_BYTES: the one reader of salt files (`fam run --salt-file`, `fam import`)."""
    from fam.inputs.files import read_input_bytes

    salt = read_input_bytes(path, "a salt file")
    if len(salt) < MIN_SALT_BYTES:
        raise InputError(f"{path}: a salt needs at least {MIN_SALT_BYTES} bytes; found {len(salt)}")
    return salt


def pseudonymise(ids: Sequence[str], salt: bytes) -> list[str]:
    """Stable pseudonyms such as "P-3f9a1c2e4b": HMAC-SHA256 of each id keyed by `salt`.

    The same id and salt always give the same token; another salt gives unrelated tokens.
    Without the salt the ids cannot be recovered by hashing guesses, so keep the salt apart
    from the output (or discard it). Raises ValueError for a salt shorter than 16 bytes or if
    two different ids would share a token.
    """
    if not isinstance(salt, bytes | bytearray) or len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"the salt must be at least {MIN_SALT_BYTES} random bytes (new_salt())")
    out: list[str] = []
    seen: dict[str, str] = {}
    for raw in ids:
        key = str(raw)
        digest = hmac.new(bytes(salt), key.encode("utf-8"), hashlib.sha256).hexdigest()
        token = "P-" + digest[:TOKEN_HEX]
        other = seen.setdefault(token, key)
        if other != key:
            raise ValueError("two different ids share a pseudonym; use another salt")
        out.append(token)
    return out


def suppress_small(counts: Counts, threshold: int = 5) -> Counts:
    """Hide counts from 1 to threshold - 1 (statistical disclosure control).

    Returns a copy (numeric columns as float) with those cells set to NaN, zeros and counts of
    at least `threshold` unchanged, non-numeric columns untouched. The copy's `attrs` hold
    `suppressed_cells` (how many were hidden) and `note` (a sentence to print beside the
    table). This is primary suppression only: if a total is shown too, check that the hidden
    cells cannot be recovered by subtraction.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a whole number >= 1, got {threshold!r}")
    out = counts.copy()

    def hide(s: pd.Series) -> tuple[pd.Series, int]:
        v = pd.to_numeric(s, errors="coerce").astype(float)
        small = (v > 0) & (v < threshold)
        return v.mask(small), int(small.sum())

    n = 0
    if isinstance(out, pd.DataFrame):
        for col in out.columns:
            if pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
                out[col], k = hide(out[col])
                n += k
    else:
        out, n = hide(out)
    out.attrs["suppressed_cells"] = n
    out.attrs["note"] = (
        f"Counts from 1 to {threshold - 1} are suppressed (shown blank) to protect individuals."
        if threshold > 1
        else "No counts are suppressed."
    )
    return out


def neutralise(text: str) -> str:
    """Text a spreadsheet would read as a formula gets a leading apostrophe (shown as text).

    Applies to text beginning with =, +, -, @, a tab or a carriage return.
    """
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def age_band(age: float) -> str:
    """The band of an age in years ("unknown" if missing)."""
    if age is None or not math.isfinite(age):
        return "unknown"
    for lo, hi, name in AGE_BANDS:
        if lo <= age < hi:
            return name
    return "unknown"


def client_detail_frame(mi: ModelInputs, salt: bytes, threshold: int = 5) -> pd.DataFrame:
    """One row per programme-arm data client, safe to show: no client_id, no dates.

    Columns: `pseudonym` (see pseudonymise), `cohort`, `age_band`, `programme_months`, then
    `baseline_<service>_per_month` for each service (use per month in the baseline window,
    in the service's unit). Rows are sorted by pseudonym, so the file's order is not shown.
    Quasi-identifiers are generalised until every shown combination covers at least
    `threshold` clients: first `age_band`, then `cohort`, are replaced by "suppressed" in
    smaller groups.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"threshold must be a whole number >= 1, got {threshold!r}")
    info = mi.clients
    n = len(mi.baseline)
    if len(info) != n:
        raise ValueError("model inputs carry no client list aligned with the baseline rates")
    ages = pd.to_numeric(info["age_at_start"], errors="coerce").to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "pseudonym": pseudonymise([str(x) for x in info["client_id"]], salt),
            "cohort": [neutralise(str(c)) if str(c) else "unknown" for c in info["cohort"]],
            "age_band": [age_band(a) for a in ages],
            "programme_months": np.asarray(mi.durations, dtype=np.int64),
        }
    )
    for j, service in enumerate(mi.services):
        frame[f"baseline_{service}_per_month"] = np.asarray(mi.baseline, dtype=float)[:, j]
    if threshold > 1:
        size = frame.groupby(["cohort", "age_band"])["pseudonym"].transform("size")
        frame.loc[size < threshold, "age_band"] = SUPPRESSED
        size = frame.groupby(["cohort", "age_band"])["pseudonym"].transform("size")
        frame.loc[size < threshold, "cohort"] = SUPPRESSED
    frame = frame.sort_values("pseudonym", kind="stable").reset_index(drop=True)
    frame.attrs["note"] = (
        "Clients are shown by pseudonym (salted hash; not reversible without the salt). "
        f"Cohort and age band are generalised where fewer than {threshold} clients share them."
    )
    return frame
