"""Frozen builds keep matplotlib's font cache per user instead of per launch."""

from __future__ import annotations

import os

from urdu_genre_app import frozen


def test_matplotlib_config_goes_to_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "per-launch-temp"))  # what PyInstaller's hook set
    frozen.keep_matplotlib_cache()
    from urdu_genre_app.paths import APPLICATION

    # Under the one per-user cache folder paths.py owns (issue 17.1), not the old "urdu-genre-app" one.
    expected = tmp_path / "cache" / APPLICATION / "matplotlib"
    assert os.environ["MPLCONFIGDIR"] == str(expected) and expected.is_dir()


def test_an_unwritable_cache_leaves_the_setting_alone(tmp_path, monkeypatch):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "per-launch-temp"))
    frozen.keep_matplotlib_cache()
    assert os.environ["MPLCONFIGDIR"] == str(tmp_path / "per-launch-temp")
