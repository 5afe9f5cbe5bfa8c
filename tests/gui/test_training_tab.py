"""The Training tab, driven through the real window: folder in, model out, model used."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests import audio_factory

pytestmark = [pytest.mark.gui, pytest.mark.slow]

WINDOW_SECONDS = 3.0


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """4 genres x 10 songs of 5 s (WAV and MP3), one sub-folder per genre.

    10 a genre is not a small folder (``training.split.SMALL_FOLDER_SONGS``), so a run holds songs out
    and trains once; a small folder's k-fold estimate (tests/unit/test_small_folder.py) would train
    every fold before the first epoch the chart shows.
    """
    from training.split import SMALL_FOLDER_SONGS

    return audio_factory.write_labeled_folder(tmp_path_factory.mktemp("songs"), songs_per_genre=SMALL_FOLDER_SONGS,
                                              suffixes=(".wav", ".mp3"), seed=500)


def _fill_form(tab, dataset: Path, out: Path, *, epochs: int) -> None:
    tab.set_dataset(str(dataset))
    tab.output_edit.setText(str(out))
    tab.epochs_spin.setValue(epochs)
    tab.windows_spin.setValue(4)
    tab.window_seconds_spin.setValue(WINDOW_SECONDS)
    tab.seed_spin.setValue(5)


def _with_broken_files(dataset: Path, root: Path) -> tuple[Path, dict[Path, str]]:
    """A copy of ``dataset`` plus a corrupt and an empty file; returns it and the broken files' paths."""
    copy = Path(shutil.copytree(dataset, root))
    good = audio_factory.write_audio(root.parent / "good.flac", audio_factory.make_sound("Tone", 5.0, seed=1))
    corrupt = copy / "Tone" / "corrupt.flac"
    # A FLAC header that declares 5 s, then noise bytes: only decoding finds out.
    corrupt.write_bytes(good.read_bytes()[:200] + np.random.default_rng(8).bytes(40_000))
    empty = copy / "Clicks" / "empty.mp3"
    empty.write_bytes(b"")
    return copy, {corrupt: "corrupt", empty: "empty"}


def test_train_from_a_folder_then_classify_with_the_new_model(make_window, tiny_bundle_path, dataset, tmp_path,
                                                              song_path, settings, qtbot):
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.gui import settings as S

    dataset, broken = _with_broken_files(dataset, tmp_path / "songs with broken files")
    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    window.tabs.setCurrentWidget(tab)
    out = tmp_path / "models" / "mine.ugm"
    _fill_form(tab, dataset, out, epochs=6)
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=120_000)
    # The scan only sees the empty file; the corrupt one looks like a song until it is decoded.
    assert "41 songs in 4 genres" in tab.dataset_summary.text() and "1 file(s) will be skipped" in tab.dataset_summary.text()

    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert tab.running and not tab.start_button.isEnabled() and tab.stop_button.isEnabled()
    assert not tab.dataset_edit.isEnabled()
    qtbot.waitUntil(lambda: not tab.running, timeout=240_000)

    assert tab.error is None, tab.error
    report = tab.report
    assert report is not None and not report.cancelled and tab.written_path == str(out)
    # The chart holds exactly the epochs the run reported, with its values.
    history = report.results[0].fit.history
    assert [epoch for epoch, _ in tab.chart.points["val_accuracy"]] == list(range(1, len(history) + 1))
    assert tab.chart.points["val_accuracy"][-1][1] == pytest.approx(history[-1]["val_accuracy"])
    # The results tables show the run's test evaluation.
    test = report.results[0].test
    for row in range(4):
        for column in range(4):
            assert tab.confusion_table.item(row, column).text() == str(int(test.song_confusion[row, column]))
    assert f"{test.song_accuracy:.1%}" in tab.result_label.text()
    assert "epoch 1:" in tab.log_view.toPlainText() and "wrote" in tab.log_view.toPlainText()
    # Every file the run left out is listed under the results with its reason, and counted in the summary.
    listed = tab.skipped_view.reasons()
    assert set(listed) == {str(path) for path in broken}, listed
    assert all(len(reason) > 5 for reason in listed.values()), listed
    assert listed[str(next(p for p, kind in broken.items() if kind == "empty"))] == next(
        s.reason for s in report.skipped_files if Path(s.path).name == "empty.mp3")
    assert "2 files skipped" in tab.result_label.text()
    assert tab.skipped_view.isVisible() and tab.skipped_view.table.isVisible()
    assert tab.skipped_view.table.rowCount() == 2
    assert {tab.skipped_view.table.item(r, 0).text() for r in range(2)} == {"corrupt.flac", "empty.mp3"}
    tab.skipped_view.toggle.click()  # folds away
    assert not tab.skipped_view.table.isVisible()
    # What was written is a real bundle with the form's recipe and the user's data marked as such.
    bundle = load_bundle(out)
    assert bundle.labels == sorted(audio_factory.TINY_LABELS)
    assert bundle.feature_params.window_seconds == WINDOW_SECONDS
    assert bundle.provenance["trained_on"] == "user" and bundle.provenance["seed"] == 5
    assert bundle.provenance["extraction"]["windows_per_song"] == 4
    assert not bundle.is_synthetic
    # The form is remembered.
    assert settings.get(S.TRAIN_DATASET) == str(dataset) and settings.get(S.TRAIN_EPOCHS) == 6

    qtbot.mouseClick(tab.use_model_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model_path == str(out) and not window.model_loading, timeout=120_000)
    assert window.tabs.currentWidget() is window.classify_widget
    assert settings.get(S.MODEL_PATH) == str(out)
    assert window.classifier.bundle.labels == bundle.labels
    qtbot.waitUntil(lambda: window.classify_widget.charts.segment_chart is not None, timeout=120_000)
    window.classify_widget.open_file(str(song_path))
    qtbot.waitUntil(lambda: window.classify_widget.state.result is not None, timeout=120_000)
    result = window.classify_widget.state.result
    assert result.labels == bundle.labels and result.genre in bundle.labels
    assert result.model_name == bundle.display_name
    assert np.isclose(sum(result.probabilities.values()), 1.0, atol=1e-3)
    # The new model's 3 s windows every 1.5 s cover the 10.5 s song.
    assert len(result.windows) == 6 and result.windows[-1].end_seconds == pytest.approx(10.5, abs=0.05)


def _start_a_long_run(window, dataset: Path, out: Path, qtbot):
    """Start 200 planned epochs and wait for the first to finish; returns the tab."""
    tab = window.training_widget
    _fill_form(tab, dataset, out, epochs=200)
    tab.start_training()
    qtbot.waitUntil(lambda: len(tab.chart.points["val_accuracy"]) >= 1, timeout=240_000)
    return tab


def test_stop_keeps_the_best_model_so_far(make_window, tiny_bundle_path, dataset, tmp_path, qtbot):
    from urdu_genre_app.core.bundle import load_bundle

    window = make_window(tiny_bundle_path, wait_charts=False)
    out = tmp_path / "stopped.ugm"
    tab = _start_a_long_run(window, dataset, out, qtbot)
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    assert not tab.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.running, timeout=120_000)
    assert tab.error is None, tab.error
    assert tab.report.cancelled and "Stopped early" in tab.stage_label.text()
    assert len(tab.report.results[0].fit.history) < 200
    assert load_bundle(out).provenance["cancelled"] is True
    assert tab.use_model_button.isEnabled()


def test_an_unusable_folder_is_explained_and_nothing_runs(make_window, tiny_bundle_path, tmp_path, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    lonely = tmp_path / "one genre" / "Ghazal"
    lonely.mkdir(parents=True)
    for i in range(3):
        audio_factory.write_audio(lonely / f"song{i}.wav", audio_factory.make_sound("Tone", 2.0, seed=i))
    tab.set_dataset(str(lonely.parent))
    qtbot.waitUntil(lambda: "genre" in tab.dataset_summary.text() and "Looking" not in tab.dataset_summary.text(),
                    timeout=120_000)
    assert "two" in tab.dataset_summary.text() or "2" in tab.dataset_summary.text()
    tab.output_edit.setText(str(tmp_path / "never.ugm"))
    tab.start_training()
    qtbot.waitUntil(lambda: not tab.running, timeout=120_000)
    assert tab.error and str(lonely.parent) in tab.error
    assert tab.banner.kind == "error" and "Training failed" in tab.banner.text
    assert not (tmp_path / "never.ugm").exists()
    assert tab.start_button.isEnabled() and tab.dataset_edit.isEnabled()


def test_start_without_a_folder_asks_for_one(make_window, tiny_bundle_path, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    tab.dataset_edit.setText("")
    tab.start_training()
    assert not tab.running
    assert tab.banner.kind == "warning" and "Choose a folder" in tab.banner.text


def test_closing_mid_run_saves_the_model_then_closes(make_window, tiny_bundle_path, dataset, tmp_path, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    out = tmp_path / "on-close.ugm"
    tab = _start_a_long_run(window, dataset, out, qtbot)
    window.close()
    assert window.isVisible() and "then closing" in tab.banner.text
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=120_000)
    assert out.exists() and tab.report.cancelled


def test_ctrl_1_and_ctrl_2_switch_tabs(make_window, tiny_bundle_path, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    assert window.show_training_action.shortcut().toString() == "Ctrl+2"
    window.show_training_action.trigger()
    assert window.tabs.currentWidget() is window.training_widget
    window.show_classify_action.trigger()
    assert window.tabs.currentWidget() is window.classify_widget


def test_the_train_tab_is_built_when_first_shown(make_window, tiny_bundle_path, dataset, settings, qtbot):
    from urdu_genre_app.gui import settings as S

    settings.set(S.TRAIN_DATASET, str(dataset))
    window = make_window(tiny_bundle_path, wait_charts=False)
    assert window._training_widget is None
    window.tabs.setCurrentIndex(1)
    tab = window._training_widget
    assert tab is not None and window.tabs.currentWidget() is tab and window.tabs.tabText(1) == "Training"
    assert tab.dataset_edit.text() == str(dataset)  # the remembered folder, looked into at once
    qtbot.waitUntil(lambda: tab.scan is not None, timeout=120_000)
    assert len(tab.scan.songs) == 40


def test_an_install_without_tensorflow_says_so_and_cannot_start(make_window, tiny_bundle_path, dataset, monkeypatch,
                                                                 qtbot):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "tensorflow" else real_find_spec(name, *args))
    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    assert tab.banner.kind == "info" and "TensorFlow" in tab.banner.text and "[train]" in tab.banner.text
    assert not tab.start_button.isEnabled()
    tab.set_dataset(str(dataset))
    tab.start_training()
    assert not tab.running and tab.report is None


def test_an_existing_bundle_is_replaced_only_when_confirmed_in_save_as(make_window, tiny_bundle_path, dataset,
                                                                      tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    tab.set_dataset(str(dataset))
    existing = tmp_path / "good model.ugm"
    existing.write_bytes(b"an earlier model")
    tab.output_edit.setText(str(existing))  # typed, not confirmed
    assert tab.build_config().out == str(tmp_path / "good model-2.ugm")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(existing), ""))
    tab.choose_output()  # the dialog asks before replacing; here the user said yes
    assert tab.build_config().out == str(existing)
    tab.output_edit.setText("")
    default = Path(tab.build_config().out)
    assert default.suffix == ".ugm" and not default.exists() and "songs" in default.name


def test_a_run_that_fails_after_close_was_asked_keeps_the_window_open(make_window, tiny_bundle_path, tmp_path, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    tab.set_dataset(str(tmp_path / "moved away"))  # fails at once, before any cancel point
    tab.start_training()
    window.close()  # asked while the run is going: it will end with an error
    qtbot.waitUntil(lambda: not tab.running, timeout=120_000)
    qtbot.wait(50)
    assert window.isVisible() and tab.banner.kind == "error" and "Training failed" in tab.banner.text


def test_a_termination_signal_abandons_the_run_without_saving(make_window, tiny_bundle_path, dataset, tmp_path, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    out = tmp_path / "abandoned.ugm"
    tab = _start_a_long_run(window, dataset, out, qtbot)
    window.close_now()  # what Ctrl+C / SIGTERM call
    assert not window.isVisible()
    qtbot.waitUntil(lambda: tab.training_pool.activeThreadCount() == 0, timeout=60_000)
    assert not out.exists()


def test_typed_events_drive_the_progress_line_and_the_chart(make_window, tiny_bundle_path):
    from training.observer import EpochEnded, LogLine, StageProgress

    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    tab.chart.reset(10)
    # The epoch shown is the event's, whatever the chart holds.
    tab._on_training_event(StageProgress("fit", 25, 40, epoch=7, epochs=10))
    assert tab.stage_label.text() == "Training, epoch 7 of at most 10: 25/40 steps"
    assert (tab.progress_bar.maximum(), tab.progress_bar.value()) == (40, 25)
    tab._on_training_event(StageProgress("extract", 3, 20))
    assert tab.stage_label.text() == "Extracting MFCC windows: 3/20 songs"
    tab._on_training_event(StageProgress("export", 0, 1))
    assert tab.stage_label.text() == "Saving the model bundle"
    tab._on_training_event(EpochEnded(1, {"accuracy": 0.5, "val_accuracy": 0.25, "loss": 1.0}))
    assert tab.chart.points["val_accuracy"] == [(1, 0.25)]
    tab._on_training_event(LogLine("a line of news"))
    assert tab.log_view.toPlainText().splitlines()[-1] == "a line of news"


def test_the_form_starts_from_the_training_config_defaults(make_window, tiny_bundle_path):
    from training.extract import ExtractionConfig
    from training.fit import FitConfig
    from training.families import AUTO_FAMILY, REGISTRY
    from urdu_genre_app.core.features import FeatureParams

    window = make_window(tiny_bundle_path, wait_charts=False)
    tab = window.training_widget
    assert tab.model_combo.currentData() == AUTO_FAMILY  # the folder decides (tests/gui/test_training_automatic.py)
    assert [tab.model_combo.itemData(i) for i in range(tab.model_combo.count())] == [
        AUTO_FAMILY, *(f.name for f in REGISTRY.offered())]
    assert tab.epochs_spin.value() == FitConfig().epochs
    assert tab.windows_spin.value() == ExtractionConfig().windows_per_song
    assert tab.window_seconds_spin.value() == FeatureParams().window_seconds
    tab.model_combo.setCurrentIndex(tab.model_combo.findData("gap_cnn"))
    tab.dataset_edit.setText("/songs/mine")
    assert tab.build_config().name == "GAP-CNN on mine"
