"""fam: the Financial Analysis Model.

The public API (see fam.api): ``load_scenario``, ``run``, ``write_reports``, ``Results``.
"""

from __future__ import annotations

from typing import Any

from fam.version import __version__

__all__ = ["Results", "load_scenario", "run", "write_reports", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Results", "load_scenario", "run", "write_reports"):
        from fam import api

        return getattr(api, name)
    raise AttributeError(f"module 'fam' has no attribute {name!r}")
