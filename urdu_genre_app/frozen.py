"""Start-up adjustments that only a frozen (PyInstaller) build needs."""

from __future__ import annotations

import os
from pathlib import Path


def matplotlib_cache_dir() -> Path:
    """The per-user folder for matplotlib's font cache (:func:`urdu_genre_app.paths.user_matplotlib_dir`)."""
    from urdu_genre_app.paths import user_matplotlib_dir

    return user_matplotlib_dir()


def keep_matplotlib_cache() -> None:
    """Point matplotlib at a per-user config folder that outlives the process.

    PyInstaller's matplotlib run-time hook (``build.spec`` leaves it out)
    set ``MPLCONFIGDIR`` to a fresh temporary folder on every launch, so
    matplotlib rebuilt its font cache (1.5-2 s) each time the charts loaded.
    When the folder cannot be created, matplotlib picks a temporary one itself.
    """
    folder = matplotlib_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["MPLCONFIGDIR"] = str(folder)
