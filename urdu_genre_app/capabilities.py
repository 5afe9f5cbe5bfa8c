"""What this installation can do, asked in one place (the Training tab, Improve, the CLI and the self-test ask here).

A lite build or a runtime-only ``pip install`` leaves the training package
and TensorFlow out; classifying still works. Importing TensorFlow costs
seconds, so the question is answered from the import system's finder,
without importing anything.
"""

from __future__ import annotations

import importlib.util

#: What training needs installed, with the words a user reads when one is missing.
TRAINING_MODULES = (("training", "the training package"), ("tensorflow", "TensorFlow"))
#: How to get training, said wherever it is missing.
TRAINING_INSTALL_HINT = ("Install it with pip install 'urdu-genre-app[train]' (bash scripts/run-app.sh does), "
                         "or use the full build.")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that fails to import, or a broken spec
        return False


def training_unavailable_reason() -> str | None:
    """Why this installation cannot train (a lite build, or no training extras), or None when it can.

    Returns
    -------
    str or None
        One sentence naming what is missing and how to install it.
    """
    for module, what in TRAINING_MODULES:
        if not _installed(module):
            return (f"Training needs {what}, which this installation leaves out. {TRAINING_INSTALL_HINT} "
                    "Classifying works without it.")
    return None
