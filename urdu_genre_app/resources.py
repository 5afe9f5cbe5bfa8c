"""Where bundled files live, in a source checkout and in a PyInstaller build."""

from __future__ import annotations

import sys
from pathlib import Path

#: File name of the model the app ships with, under ``resources/models/``.
BUNDLED_MODEL_NAME = "bn_cnn_synthetic.ugm"


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``, frozen or not.

    PyInstaller unpacks data files under ``sys._MEIPASS``; a checkout keeps
    them beside the package.
    """
    base = getattr(sys, "_MEIPASS", None)
    root = Path(base) if base else Path(__file__).resolve().parent.parent
    return root.joinpath("resources", *parts)


def bundled_model_path() -> Path:
    """The model bundle shipped with the app (may not exist in a bare checkout)."""
    return resource_path("models", BUNDLED_MODEL_NAME)
