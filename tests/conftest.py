"""Shared fixtures: audio made in tmp_path, a small model trained in the session, and the bundled model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as urdu_genre_app.cli.main sets it for the app

import numpy as np
import pytest

from tests import audio_factory


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path, monkeypatch):
    """The app's per-user folders (and their migration from the old ones) stay inside the test's tmp folder."""
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, fresh per test."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def tiny_bundle_path(tmp_path_factory) -> str:
    """A BN-CNN bundle trained in seconds on four kinds of generated sound.

    Uses 3 s windows so training is quick; every code path is the real one.
    """
    folder = tmp_path_factory.mktemp("tiny_model")
    return str(audio_factory.train_tiny_bundle(folder / "tiny.ugm"))


@pytest.fixture(scope="session")
def bundled_model():
    """The model bundle the app ships, loaded once for the session (inference only: no Keras model)."""
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.resources import bundled_model_path

    return load_bundle(bundled_model_path(), with_keras=False)
