"""The Training tab's state without Qt: the dataset line, the small-folder and chance warnings, the run's outcome."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import audio_factory
from urdu_genre_app.components.training_state import (
    SMALL_GENRE_SONGS,
    ScanChanged,
    TrainingForm,
    TrainingState,
    epoch_log_line,
)


def _scan(counts: dict[str, int], skipped: int = 0):
    from training.dataset import DatasetScan, SkippedFile, Song

    songs = [Song(Path(f"/songs/{genre}/{i}.wav"), genre, 60.0) for genre, n in counts.items() for i in range(n)]
    return DatasetScan(Path("/songs"), songs, sorted(counts),
                       [SkippedFile(Path(f"/songs/x{i}.mp3"), "empty") for i in range(skipped)])


def _report(accuracy: float, labels=("Ghazal", "Rock"), n_songs: int = 4, out: str = "/models/m.ugm"):
    test = SimpleNamespace(song_accuracy=accuracy, window_accuracy=accuracy, n_songs=n_songs, n_windows=20,
                           labels=list(labels))
    result = SimpleNamespace(name="bn_cnn", title="BN-CNN", test=test)
    sizes = {side: {"songs": 2, "windows": 10} for side in ("train", "validation", "test")}
    return SimpleNamespace(results=[result], exported="bn_cnn", cancelled=False, bundle=object(),
                           config=SimpleNamespace(out=out), split=SimpleNamespace(sizes=lambda: sizes))


def _events(state: TrainingState) -> list[ScanChanged]:
    seen: list[ScanChanged] = []
    state.events.scan_changed.connect(seen.append)
    return seen


def test_a_probe_starts_for_a_path_and_its_counts_are_shown():
    state = TrainingState()
    seen = _events(state)
    assert state.begin_scan("  /songs ") and state.dataset == "/songs"
    assert seen[-1].html == "Looking inside…"
    state.scan_finished(_scan({"Ghazal": 12, "Rock": 11}, skipped=2), None)
    text = seen[-1].html
    assert "23 songs in 2 genres (Ghazal 12, Rock 11)" in text and "2 file(s) will be skipped" in text
    assert "Few songs" not in text and state.small_dataset_warning() is None
    assert not state.needs_scan("/songs") and state.needs_scan("/other")


def test_no_probe_without_a_path_or_without_training():
    assert not TrainingState().begin_scan("   ")
    assert not TrainingState(unavailable_reason="Training needs TensorFlow").begin_scan("/songs")


def test_a_small_folder_is_named_with_what_will_happen():
    state = TrainingState()
    state.begin_scan("/songs")
    state.scan_finished(_scan({"Ghazal": 3, "Rock": SMALL_GENRE_SONGS}), None)
    warning = state.small_dataset_warning()
    assert warning is not None and "Ghazal 3" in warning and "Rock" not in warning
    assert "cross-validation" in warning and "Every song trains the model" in warning
    assert "Few songs" in state.dataset_html()


def test_a_probe_error_is_shown_escaped():
    state = TrainingState()
    seen = _events(state)
    state.begin_scan("/songs")
    state.scan_finished(None, ValueError("/songs: <no genres>"))
    assert "&lt;no genres&gt;" in seen[-1].html and state.scan is None


def test_the_probe_is_handed_to_the_run_only_for_its_own_folder(tmp_path):
    state = TrainingState()
    state.begin_scan("/songs")
    scan = _scan({"Ghazal": 3, "Rock": 3})
    state.scan_finished(scan, None)
    form = TrainingForm(dataset=" /songs ", out="", model="bn_cnn", epochs=3, windows_per_song=2,
                        window_seconds=3.0, seed=1)
    assert state.scan_for(state.build_config(form, tmp_path)) is scan  # the config the tab builds
    assert state.scan_for(SimpleNamespace(dataset=Path("/songs"))) is scan
    assert state.scan_for(SimpleNamespace(dataset="/elsewhere")) is None


def test_an_unconfirmed_path_never_replaces_a_file(tmp_path):
    state = TrainingState()
    existing = tmp_path / "mine.ugm"
    existing.write_bytes(b"an earlier model")
    form = TrainingForm(dataset="/songs/mine", out=str(existing), model="gap_cnn", epochs=3, windows_per_song=2,
                        window_seconds=3.0, seed=1)
    assert state.build_config(form, tmp_path).out == str(tmp_path / "mine-2.ugm")
    state.confirmed_output = str(existing)
    config = state.build_config(form, tmp_path)
    assert config.out == str(existing) and config.name == "GAP-CNN on mine" and config.fit.epochs == 3
    blank = state.build_config(TrainingForm(**{**form.__dict__, "out": ""}), tmp_path)
    assert Path(blank.out).parent == tmp_path and Path(blank.out).suffix == ".ugm"


def test_automatic_says_what_it_trains_once_the_folder_is_scanned_and_the_run_chooses_it(tmp_path):
    from training.families import AUTO_FAMILY

    state = TrainingState()
    seen = _events(state)
    state.begin_scan("/songs/mine")
    text, tooltip = seen[-1].automatic
    assert text == "Automatic" and "once it is scanned" in tooltip and f"under {SMALL_GENRE_SONGS}" in tooltip
    state.scan_finished(_scan({"Ghazal": 3, "Rock": 12}), None)
    text, tooltip = seen[-1].automatic
    assert text == "Automatic: musicnn transfer (MSD)" and tooltip.startswith("Chosen for a small folder (3 songs")
    form = TrainingForm(dataset="/songs/mine", out="", model=AUTO_FAMILY, epochs=3, windows_per_song=2,
                        window_seconds=3.0, seed=1)
    config = state.build_config(form, tmp_path)
    # The run decides (and logs why) from the same scan; the bundle is named after what it will train.
    assert config.models == (AUTO_FAMILY,) and config.name == "musicnn transfer (MSD) on mine"
    state.begin_scan("/songs/mine")
    state.scan_finished(_scan({"Ghazal": SMALL_GENRE_SONGS, "Rock": 12}), None)
    assert seen[-1].automatic[0] == "Automatic: BN-CNN" and "not small" in seen[-1].automatic[1]
    assert state.build_config(form, tmp_path).name == "BN-CNN on mine"
    state.begin_scan("/songs/other")  # not scanned yet: the run chooses, the bundle gets the family's own name
    assert seen[-1].automatic[0] == "Automatic" and state.build_config(
        TrainingForm(**{**form.__dict__, "dataset": "/songs/other"}), tmp_path).name == ""


@pytest.mark.parametrize("accuracy, warned", [(0.0, True), (0.5, True), (0.54, True), (0.75, False), (1.0, False)])
def test_a_model_no_better_than_chance_is_called_so(accuracy, warned):
    state = TrainingState()
    state.start()
    assert state.finish(_report(accuracy), None) == "Done"
    warning = state.chance_warning()
    assert (warning is not None) == warned
    html = state.result_html("")
    assert f"{accuracy:.1%}" in html and "/models/m.ugm" in html
    if warned:
        assert "no better than chance" in html and "50%" in warning
        assert state.use_model_label() != "Use this model"
    else:
        assert state.use_model_label() == "Use this model"


def test_the_run_outcome_words():
    from urdu_genre_app.core.errors import CancelledError

    state = TrainingState()
    runs = []
    state.events.run_changed.connect(lambda event: runs.append(event.running))
    state.start()
    assert state.request_stop() and not state.request_stop()  # told once
    assert state.finish(None, CancelledError("stopped")) == "Stopped before any epoch finished: nothing was saved"
    assert state.error is None and runs == [True, False]
    state.start()
    assert state.finish(None, RuntimeError("disk full")) == "Failed" and state.error == "disk full"
    state.confirmed_output = "/models/m.ugm"
    state.start()
    state.finish(_report(1.0), None)
    assert state.written_path == "/models/m.ugm" and state.confirmed_output is None


def test_epoch_lines_are_words_not_a_dict():
    line = epoch_log_line(3, {"accuracy": 0.5, "val_accuracy": 0.25, "loss": 1.0, "windows_per_second": 12.4})
    assert line == "epoch 3: accuracy 50.0%, validation accuracy 25.0%, loss 1.000 (12 windows/s)"
    partial = epoch_log_line(1, {"loss": 0.5})
    assert partial == "epoch 1: loss 0.500" and "nan" not in partial


def test_the_novelty_report_is_logged_in_words():
    from training.calibrate import describe_novelty_report

    fitted = describe_novelty_report({"validation_windows": 40, "validation_windows_flagged_unknown": 0.05,
                                      "temperature": 1.5, "validation_nll_before": 0.9, "validation_nll_after": 0.7})
    assert "5% of 40 validation windows" in fitted and "{" not in fitted and "refitted" not in fitted
    refitted = describe_novelty_report({"validation_windows": 40, "validation_windows_flagged_unknown": 0.05,
                                        "temperature": 1.5, "validation_nll_before": 0.9,
                                        "validation_nll_after": 0.7, "refitted": True})
    assert refitted.startswith("novelty check refitted to the fine-tuned model") and "5% of 40" in refitted
    missing = describe_novelty_report({"unavailable": "XGBoost models are evaluated only"})
    assert "XGBoost models are evaluated only" in missing and "{" not in missing


def test_run_training_uses_the_probe_it_is_given(tmp_path, monkeypatch):
    """The tab's probe is not repeated: a run handed one never scans; a probe of another folder is not used."""
    import training.pipeline as pipeline
    from training.dataset import scan_dataset
    from training.observer import NullObserver
    from urdu_genre_app.core.errors import CancelledError

    dataset = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=3, seconds=2.0)
    scan = scan_dataset(dataset)

    def no_second_probe(*_args, **_kwargs):
        raise AssertionError("probed again")

    class StopAtOnce(NullObserver):
        def is_cancelled(self) -> bool:
            return True

    monkeypatch.setattr(pipeline, "scan_dataset", no_second_probe)
    config = pipeline.TrainingConfig(dataset=dataset, out=None, models=("logreg",))
    with pytest.raises(CancelledError):  # it got past the scan, to the first cancel point after it
        pipeline.run_training(config, observer=StopAtOnce(), scan=scan)
    elsewhere = pipeline.TrainingConfig(dataset=tmp_path, out=None, models=("logreg",))
    with pytest.raises(AssertionError, match="probed again"):
        pipeline.run_training(elsewhere, observer=StopAtOnce(), scan=scan)


def test_a_small_folder_shows_its_cross_validated_figures():
    state = TrainingState()
    report = _report(0.5, labels=("Ghazal", "Qawwali", "Rock"), n_songs=9)
    report.results[0].cross_validation = SimpleNamespace(accuracy=1 / 3, songs=9, correct=3, interval=(0.12, 0.65),
                                                         method="3-fold cross-validation by song")
    report.results[0].test.song_accuracy = 1 / 3
    state.start()
    state.finish(report, None)
    html = state.result_html("")
    assert "33.3%</b> of 9 songs right by 3-fold cross-validation by song" in html and "12%-65%" in html
    assert "held-out test" not in html and "trained on all 9 songs" in html
    assert "songs right in cross-validation" in state.chance_warning()
