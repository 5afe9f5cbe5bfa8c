"""The scale package's errors: part of the app's tree (:mod:`urdu_genre_app.core.errors`)."""

from __future__ import annotations

import importlib

from urdu_genre_app.core.errors import UrduGenreError

#: How to get what this package needs, as the user types it.
INSTALL_HINT = "pip install 'urdu-genre-app[scale]'"


class ScaleError(UrduGenreError):
    """A catalogue run cannot start: bad output folder, no inputs, no cluster."""


class ScaleExtraMissing(ScaleError):
    """A package of the ``[scale]`` extra is not installed; the message says how to install it.

    Parameters
    ----------
    package : str
        The missing import name (``"ray"`` or ``"pyarrow"``).
    wanted_for : str
        What needed it, in words ("--ray", "--parquet").
    """

    def __init__(self, package: str, wanted_for: str) -> None:
        self.package = package
        super().__init__(f"{wanted_for} needs {package}, which is not installed: {INSTALL_HINT}")


def require(package: str, wanted_for: str):
    """Import ``package`` (``"ray"``, ``"pyarrow"``) or raise :class:`ScaleExtraMissing`."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise ScaleExtraMissing(package, wanted_for) from None
