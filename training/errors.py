"""Errors the training pipeline raises on purpose (part of the app's exception tree).

Every message says what is wrong in words a user understands; the CLI prints
``str(error)`` on one line and the GUI shows it as is.
"""

from __future__ import annotations

from urdu_genre_app.core.errors import UrduGenreError


class DatasetError(UrduGenreError):
    """A dataset folder or manifest cannot be used for training.

    Examples: no such folder, fewer than two genres, a genre with too few
    songs for a song-level split, a manifest with bad rows.
    """


class TrainingConfigError(UrduGenreError, ValueError):
    """Training options that make no sense (unknown model, bad fractions, ...)."""


class ExportNotSupportedError(TrainingConfigError):
    """A model family that cannot be written as a bundle (XGBoost, scikit-learn)."""
