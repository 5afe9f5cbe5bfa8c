"""Changing the model in the real window: the Model menu, re-analysis of the open song, a broken bundle."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from tests.gui.test_classify_window import wait_for_verdict
from urdu_genre_app.gui import settings as S

pytestmark = pytest.mark.gui


def _message_boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_switching_model_marks_the_old_verdict_and_analyses_the_song_again(
        make_window, tiny_bundle_path, song_path, tmp_path, qtbot):
    from urdu_genre_app.gui.chart_view import STALE_TEXT
    from urdu_genre_app.gui.verdict_view import STALE_HEADING

    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    first = wait_for_verdict(qtbot, window)
    other = str(shutil.copy(tiny_bundle_path, tmp_path / "other model.ugm"))
    with qtbot.waitSignal(widget.analysis_finished, timeout=60_000) as blocker:
        window.load_model(other, remember=True)
        # Until the new model is ready, the verdict and the charts say they are the previous model's.
        assert widget.verdict_view.stale and widget.verdict_view.verdict.heading.text() == STALE_HEADING
        assert not widget.verdict_view.verdict.isEnabled()
        assert widget.charts.stale and widget.charts.segment_chart.stale_text == STALE_TEXT
        assert widget.charts.mfcc_view.stale_text == STALE_TEXT
    again = blocker.args[0]
    assert window.model_path == other and widget.state.result is again and again is not first
    assert again.path == str(song_path) and again.verdict_text() == first.verdict_text()  # same weights
    assert not widget.verdict_view.stale and widget.verdict_view.verdict.heading.text() == "Verdict"
    assert not widget.charts.stale and widget.charts.segment_chart.stale_text is None
    assert widget.charts.segment_chart.bar_count == len(again.windows)


def test_a_broken_bundle_is_reported_once_and_the_working_model_stays(
        make_window, tiny_bundle_path, song_path, tmp_path, qtbot):
    bad = tmp_path / "bad.ugm"
    bad.write_bytes(b"PK\x03\x04 not a bundle")
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    first = wait_for_verdict(qtbot, window)
    header = window.model_label.text()
    window.load_model(str(bad), remember=True)
    qtbot.waitUntil(lambda: not window.model_loading and bool(_message_boxes()), timeout=120_000)
    boxes = _message_boxes()
    assert len(boxes) == 1 and "bad.ugm" in boxes[0].text() and "still classified with" in boxes[0].text()
    boxes[0].close()
    assert widget.banner.kind != "error"  # said once, in the dialog: not again in the banner
    assert window.model_label.text() == header and "loading" not in window.model_label.text()
    assert "still classified with" in window.statusBar().currentMessage()
    assert not widget.verdict_view.stale and widget.state.result is first  # same model: nothing to redo
    assert window.settings.get(S.MODEL_PATH) == "" and str(bad) not in window.settings.get(S.RECENT_MODELS)
    widget.open_file(str(song_path))
    assert wait_for_verdict(qtbot, window).verdict_text() == first.verdict_text()


def test_the_model_menu_offers_bundled_and_recent_models_and_loads_from_the_models_folder(
        make_window, tiny_bundle_path, tmp_path, qtbot, monkeypatch):
    from urdu_genre_app import paths, resources

    window = make_window(tiny_bundle_path, wait_charts=False)
    menu = window.model_menu
    menu.rebuild()
    entries = {action.data(): action for action in menu.model_actions()}
    bundled = resources.bundled_models()
    for path in bundled:
        assert str(path) in entries and resources.bundle_title(path) in entries[str(path)].text()
    if bundled:
        assert "(default)" in entries[str(resources.bundled_model_path())].text()

    asked = []
    mine = str(shutil.copy(tiny_bundle_path, tmp_path / "mine.ugm"))

    def pick(_parent, _caption, folder, _filters):
        asked.append(folder)
        return mine, ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    window.model_bar.load_button.click()
    assert asked == [str(paths.models_dir())]  # where the Training tab saves models, not the songs folder
    qtbot.waitUntil(lambda: window.model_path == mine and not window.model_loading, timeout=120_000)
    menu.rebuild()
    recent = [action for action in menu.model_actions() if action.data() == mine]
    assert recent and recent[0].isChecked() and recent[0].isEnabled()
    assert window.settings.get(S.RECENT_MODELS)[0] == mine

    if bundled:  # the default bundled model, from the menu: the remembered choice is forgotten
        default = next(a for a in menu.model_actions() if a.data() == str(resources.bundled_model_path()))
        default.trigger()
        qtbot.waitUntil(lambda: window.model_path == str(resources.bundled_model_path())
                        and not window.model_loading, timeout=120_000)
        assert window.settings.get(S.MODEL_PATH) == ""
        menu.rebuild()
        assert [a.data() for a in menu.model_actions() if a.isChecked()] == [str(resources.bundled_model_path())]
