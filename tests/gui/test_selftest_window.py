"""The self-test's window check drives the real main window offscreen."""

from __future__ import annotations

import pytest

from urdu_genre_app import selftest

pytestmark = pytest.mark.gui


def test_window_check_opens_the_window_with_model_and_charts(qtbot):
    detail = selftest.check_window()
    assert "with model and charts" in detail and "offscreen" in detail


def test_window_check_fails_when_the_model_cannot_load(qtbot, tmp_path, monkeypatch):
    import urdu_genre_app.resources as resources

    broken = tmp_path / "broken.ugm"
    broken.write_bytes(b"not a model bundle")
    monkeypatch.setattr(resources, "bundled_model_path", lambda: broken)
    with pytest.raises(selftest.CheckFailed, match="could not load the model"):
        selftest.check_window()
