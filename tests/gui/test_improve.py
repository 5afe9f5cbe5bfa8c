"""Library > "Improve the model with my corrections": fine-tune on confirmed songs, before/after, use or keep."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests import audio_factory

pytestmark = pytest.mark.gui

#: (file name, genre, key that confirms it: 1 Ghazal ... 4 Rock in the bundled model's order)
SONGS = [("ghazal-1.wav", "Ghazal", Qt.Key.Key_1), ("ghazal-2.wav", "Ghazal", Qt.Key.Key_1),
         ("rock-1.wav", "Rock", Qt.Key.Key_4), ("rock-2.wav", "Rock", Qt.Key.Key_4)]


@pytest.fixture
def synth_songs(tmp_path) -> Path:
    """Four short synthetic songs, two Ghazal and two Rock."""
    pytest.importorskip("tensorflow")
    from training.synth.song import generate_song

    root = tmp_path / "songs"
    root.mkdir()
    for seed, (name, genre, _key) in enumerate(SONGS):
        audio_factory.write_audio(root / name, generate_song(genre, seed, duration_seconds=12.0), 22050)
    return root


@pytest.fixture
def library_window(qtbot, make_window, synth_songs):
    """The real window with the bundled model, the songs open in its Library, every row confirmed by key."""
    from tests.gui.test_library import _select
    from training.finetune import TINY_SET_FIT
    from urdu_genre_app.resources import bundled_model_path

    window = make_window(str(bundled_model_path()), wait_charts=False)
    library = window.library_widget
    library.workers = 1
    library.improve_fit = dataclasses.replace(TINY_SET_FIT, epochs=1)
    window.tabs.setCurrentWidget(library)
    with qtbot.waitSignal(library.classification_finished, timeout=60_000):
        library.open_folder(synth_songs)
    assert not library.improve_button.isEnabled()
    assert "at least 2 songs" in library.improve_button.toolTip()
    for name, _genre, key in SONGS:
        _select(qtbot, library, name)
        qtbot.keyClick(library.table, key)
    assert sorted(e.confirmed for e in library.model.entries()) == ["Ghazal", "Ghazal", "Rock", "Rock"]
    assert library.improve_button.isEnabled()
    return window


@pytest.mark.slow
def test_improve_shows_before_after_and_the_new_model_gives_the_next_verdict(qtbot, library_window):
    from urdu_genre_app.paths import models_dir

    window, library = library_window, library_window.library_widget
    old_bundle = window.bundle
    qtbot.mouseClick(library.improve_button, Qt.MouseButton.LeftButton)
    dialog = library.improve_dialog
    assert dialog is not None and dialog.running
    with qtbot.waitSignal(dialog.finished_run, timeout=300_000) as blocker:
        pass
    result = blocker.args[0]
    assert result is not None, dialog.error
    assert result.n_folds == 2 and result.held_out_songs == 4 and result.new_genres == []
    assert result.bundle_path.parent == models_dir() and result.bundle_path.is_file()
    shown = dialog.result_label.text()
    assert f"before <b>{result.before_accuracy:.0%}</b>" in shown
    assert f"after <b>{result.after_accuracy:.0%}</b>" in shown
    assert dialog.use_button.isVisible() and dialog.keep_button.isVisible()
    _maybe_screenshot(dialog)

    with qtbot.waitSignal(library.classification_finished, timeout=120_000):
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert window.bundle is not old_bundle
    assert Path(window.bundle.path) == result.bundle_path
    assert window.settings.get(_model_key()) == str(result.bundle_path)  # remembered, like Training's
    assert library.bundle is window.bundle and library.library.bundle is window.bundle
    new_name = window.bundle.display_name
    assert "improved" in new_name and new_name != old_bundle.display_name
    # The header says what the dialog measured, and that the not-a-genre check came along (refitted).
    header = window.model_label.text()
    assert window.bundle.novelty is not None and "not-a-genre check unavailable" not in header
    assert "accuracy not measured" not in header
    assert f"{result.after_accuracy:.0%} song accuracy (2-fold cross-validation" in header
    assert window.bundle.accuracy_text in shown
    entries = library.model.entries()
    assert all(e.result is not None and e.result.model_name == new_name for e in entries)
    assert sorted(e.confirmed for e in entries) == ["Ghazal", "Ghazal", "Rock", "Rock"]


@pytest.mark.slow
def test_stop_keeps_the_current_model_and_writes_nothing(qtbot, library_window):
    from urdu_genre_app.paths import models_dir

    window, library = library_window, library_window.library_widget
    old_bundle = window.bundle
    before = sorted(models_dir().iterdir())
    dialog = library.improve_model()
    # Stop as soon as the run reports anything (it is then past starting up).
    qtbot.waitUntil(lambda: dialog.log_view.toPlainText() != "" or not dialog.running, timeout=120_000)
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.finished_run, timeout=300_000) as blocker:
        pass
    assert blocker.args[0] is None
    assert "current model is unchanged" in dialog.stage_label.text()
    assert not dialog.use_button.isVisible()
    assert sorted(models_dir().iterdir()) == before
    assert not any(p.suffix == ".ugm" for p in models_dir().iterdir())
    qtbot.wait(200)
    assert window.bundle is old_bundle and library.bundle is old_bundle


def _model_key() -> str:
    from urdu_genre_app.gui import settings as S

    return S.MODEL_PATH


def _maybe_screenshot(dialog) -> None:
    """Save the result dialog when URDU_GENRE_SCREENSHOT_DIR names a folder (docs / visual check)."""
    import os

    folder = os.environ.get("URDU_GENRE_SCREENSHOT_DIR")
    if folder:
        dialog.raise_()
        dialog.grab().save(str(Path(folder) / "improve-result.png"))


def test_the_reason_names_what_is_missing(monkeypatch):
    from urdu_genre_app import capabilities
    from urdu_genre_app.gui import improve_panel

    few = [("a.wav", "Ghazal"), ("b.wav", "Ghazal"), ("c.wav", "Rock")]
    reason = improve_panel.improve_unavailable_reason(few)
    assert reason is not None and "Ghazal 2, Rock 1" in reason
    assert improve_panel.improve_unavailable_reason(few + [("d.wav", "Rock")]) is None
    monkeypatch.setattr(capabilities, "training_unavailable_reason",
                        lambda: "Training needs TensorFlow, which this installation leaves out.")
    reason = improve_panel.improve_unavailable_reason(few + [("d.wav", "Rock")])
    assert reason.startswith("Improving the model needs TensorFlow")


def test_a_lite_install_disables_the_button_and_says_why(qtbot, monkeypatch, tmp_path):
    from urdu_genre_app import capabilities
    from urdu_genre_app.gui.library_widget import LibraryWidget

    monkeypatch.setattr(capabilities, "training_unavailable_reason",
                        lambda: "Training needs TensorFlow, which this installation leaves out.")
    widget = LibraryWidget(data_root=tmp_path / "library-data")
    qtbot.addWidget(widget)
    from types import SimpleNamespace

    widget.library = SimpleNamespace(journal=SimpleNamespace(can_undo=False))  # an open library, no rows
    widget._update_controls()
    assert not widget.improve_button.isEnabled()
    assert widget.improve_button.toolTip().startswith("Improving the model needs TensorFlow")
    widget.library = None


def test_the_result_names_new_genres_and_warns_when_worse():
    from types import SimpleNamespace

    from urdu_genre_app.gui.improve_panel import result_html

    def result(before, after, new, refitted=True):
        bundle = SimpleNamespace(accuracy_text=f"accuracy {after:.0%} (3-fold, 6 songs)")
        novelty = (object(), {}) if refitted else (None, {"unavailable": "too few songs"})
        return SimpleNamespace(held_out_songs=6, n_folds=3, before_accuracy=before, after_accuracy=after,
                               new_genres=new, skipped=[], bundle=bundle, novelty=novelty)

    better = result_html(result(0.5, 5 / 6, ["Pop"]))
    assert "before <b>50%</b>" in better and "after <b>83%</b>" in better and "3-fold" in better
    assert "New genres Pop get a new head" in better and "did worse" not in better
    worse = result_html(result(0.5, 1 / 3, []))
    assert "did worse" in worse and "New genres" not in worse
    # The dialog says what the new bundle records (the words the header shows) and whether the check was refitted.
    assert "records accuracy 83% (3-fold, 6 songs)" in better and "not-a-genre check was refitted" in better
    unchecked = result_html(result(0.5, 5 / 6, [], refitted=False))
    assert "no not-a-genre check (too few songs)" in unchecked and "refitted" not in unchecked
