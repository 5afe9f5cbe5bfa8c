"""Start-up adjustments that only a frozen (PyInstaller) build needs."""

from __future__ import annotations

import os
from pathlib import Path


def matplotlib_cache_dir() -> Path:
    """The per-user folder for matplotlib's font cache (``<user cache>/urdu-genre-app/matplotlib``)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("urdu-genre-app", appauthor=False)) / "matplotlib"


def keep_matplotlib_cache() -> None:
    """Point matplotlib at a per-user config folder that outlives the process.

    PyInstaller's matplotlib run-time hook sets ``MPLCONFIGDIR`` to a fresh
    temporary folder on every launch, so matplotlib rebuilt its font cache
    (1.5-2 s) each time the charts loaded. A folder that cannot be created
    leaves the hook's choice in place.
    """
    folder = matplotlib_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["MPLCONFIGDIR"] = str(folder)
