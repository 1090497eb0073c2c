"""Opening input files: regular files only, and no larger than a limit.

Every reader of an input (the scenario YAML, cohort CSVs and workbooks, unit-cost tables,
an input workbook, a salt file) opens it through this module, so that a path naming a
device (/dev/zero), a FIFO, a socket, a folder or a symbolic-link loop is refused with one
line before anything is read, and a file larger than the limit is refused before it fills
the memory.

The limit is `DEFAULT_MAX_MB` megabytes per file (a national cohort of 1.2 million
service-use rows is about 60 MB), or the number of megabytes in the environment variable
`FAM_MAX_INPUT_MB` (docs/errors_and_privacy.md).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from fam.errors import InputError

LIMIT_ENV = "FAM_MAX_INPUT_MB"
DEFAULT_MAX_MB = 512
MB = 1024 * 1024


def max_input_bytes() -> int:
    """The size limit of one input file in bytes (FAM_MAX_INPUT_MB, else DEFAULT_MAX_MB)."""
    text = os.environ.get(LIMIT_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_MB * MB
    try:
        mb = float(text)
    except ValueError:
        mb = float("nan")
    if not 0 < mb < 1e9:  # also refuses nan and inf
        raise InputError(
            f"{LIMIT_ENV}: expected a size in megabytes (a number > 0), got {text[:40]!r}"
        )
    return int(mb * MB)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_os_error(path: Path, e: OSError, what: str) -> InputError:
    if e.errno == errno.ENOENT:
        return InputError(f"{path}: file not found")
    if e.errno == errno.ELOOP:
        return InputError(f"{path}: a loop of symbolic links; expected {what}")
    if e.errno == errno.EISDIR:
        return InputError(f"{path}: is a folder; expected {what}")
    if e.errno == errno.ENOTDIR:
        return InputError(f"{path}: file not found (a part of the path is not a folder)")
    return InputError(f"{path}: cannot be read ({e.strerror or e})")


def _check_mode(path: Path, st: os.stat_result, what: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a folder; expected {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is {_kind(st.st_mode)}, not a regular file; expected {what}")
    limit = max_input_bytes()
    if st.st_size > limit:
        raise InputError(
            f"{path}: {st.st_size:,} bytes is larger than the limit of {limit / MB:,.4g} MB "
            f"for an input file; set {LIMIT_ENV} (megabytes) to raise it"
        )


def check_input_file(path: str | Path, what: str = "a file") -> Path:
    """Refuse `path` unless it is a regular file within the size limit; return it.

    For readers that open the file themselves (openpyxl); `read_input_bytes` also checks
    the file it has opened, which leaves no gap between the check and the read.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as e:
        raise _refuse_os_error(p, e, what) from None
    _check_mode(p, st, what)
    return p


def read_input_bytes(path: str | Path, what: str = "a file") -> bytes:
    """The bytes of a regular input file, refusing anything else (see the module docstring).

    The file is opened without blocking (a FIFO would otherwise wait for a writer), checked
    through its open descriptor, and read no further than the limit.
    """
    p = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        check_input_file(p, what)  # refuses before opening (opening a device may act)
        fd = os.open(p, flags)
    except OSError as e:
        raise _refuse_os_error(p, e, what) from None
    try:
        _check_mode(p, os.fstat(fd), what)
        limit = max_input_bytes()
        chunks = []
        got = 0
        while True:
            chunk = os.read(fd, min(limit + 1 - got, 16 * MB))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > limit:  # the file grew after it was checked
                raise InputError(
                    f"{p}: larger than the limit of {limit / MB:,.4g} MB for an input file; "
                    f"set {LIMIT_ENV} (megabytes) to raise it"
                )
        return b"".join(chunks)
    except OSError as e:
        raise _refuse_os_error(p, e, what) from None
    finally:
        os.close(fd)
