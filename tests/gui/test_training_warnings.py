"""The Training tab warns: before a run on a small folder, and after one whose model is no better than chance."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from tests import audio_factory

pytestmark = pytest.mark.gui

LABELS = ["Ghazal", "Qawwali", "Rock"]


def _report(accuracy: float, out: str):
    """What a finished run hands the tab (the fields it reads), with ``accuracy`` on its test songs."""
    n = len(LABELS)
    right = int(round(accuracy * n))
    confusion = np.zeros((n, n), dtype=int)
    for i in range(n):
        confusion[i, i if i < right else (i + 1) % n] = 1
    test = SimpleNamespace(song_accuracy=right / n, window_accuracy=right / n, n_songs=n, n_windows=4 * n,
                           labels=LABELS, song_confusion=confusion,
                           per_class={label: {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
                                      for label in LABELS})
    sizes = {side: {"songs": n, "windows": 4 * n} for side in ("train", "validation", "test")}
    return SimpleNamespace(results=[SimpleNamespace(name="bn_cnn", title="BN-CNN", test=test)], exported="bn_cnn",
                           cancelled=False, bundle=object(), config=SimpleNamespace(out=out), skipped_files=[],
                           split=SimpleNamespace(sizes=lambda: sizes))


@pytest.fixture
def tab(qtbot, settings):
    from urdu_genre_app.gui.training_widget import TrainingWidget

    widget = TrainingWidget(settings)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.shutdown()


def _finish(tab, report) -> None:
    tab.state.start()
    tab._on_training_done(report, None)


def test_a_model_no_better_than_chance_is_called_so_and_used_only_after_a_yes(tab, qtbot, tmp_path, monkeypatch):
    used = []
    tab.use_model_requested.connect(used.append)
    asked = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: asked.append(args[2]) or answer[0])
    _finish(tab, _report(0.0, str(tmp_path / "chance.ugm")))
    assert tab.banner.kind == "warning" and "no better than chance" in tab.banner.text
    assert "no better than chance" in tab.result_label.text() and "0.0%" in tab.result_label.text()
    assert tab.use_model_button.isEnabled() and tab.use_model_button.text() == "Use it anyway"
    assert "warning: This model is no better than chance" in tab.log_view.toPlainText()
    tab.use_model_button.click()
    assert len(asked) == 1 and "no better than chance" in asked[0] and used == []
    answer[0] = QMessageBox.StandardButton.Yes
    tab.use_model_button.click()
    assert used == [str(tmp_path / "chance.ugm")]


def test_a_good_model_is_offered_without_a_question(tab, tmp_path, monkeypatch):
    used = []
    tab.use_model_requested.connect(used.append)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: pytest.fail("asked about a good model"))
    _finish(tab, _report(1.0, str(tmp_path / "good.ugm")))
    assert "chance" not in tab.result_label.text() and tab.use_model_button.text() == "Use this model"
    assert tab.confusion_table.item(0, 0).text() == "1"
    tab.use_model_button.click()
    assert used == [str(tmp_path / "good.ugm")]


def test_a_small_folder_is_named_before_the_run(tab, qtbot, tmp_path):
    small = audio_factory.write_labeled_folder(tmp_path / "few songs", songs_per_genre=3, seconds=2.0)
    tab.set_dataset(str(small))
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=120_000)
    text = tab.dataset_summary.text()
    assert "12 songs in 4 genres" in text and "Few songs" in text and "under 10 songs a genre" in text


def test_a_new_folder_supersedes_the_probe_of_the_last(tab, qtbot, tmp_path):
    """Task.cancel() drops the first probe's outcome: only the folder chosen last is described."""
    first = audio_factory.write_labeled_folder(tmp_path / "first", songs_per_genre=3, seconds=2.0)
    second = audio_factory.write_labeled_folder(tmp_path / "second", songs_per_genre=4, seconds=2.0)
    tab.set_dataset(str(first))
    tab.set_dataset(str(second))
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=120_000)
    qtbot.wait(300)  # time for a stale outcome to arrive, were it delivered
    assert Path(tab.scan.source).resolve() == second.resolve() and "16 songs in 4 genres" in tab.dataset_summary.text()
