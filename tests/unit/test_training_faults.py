"""A training folder with broken files trains to the end and says which files it left out, and why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import audio_factory
from urdu_genre_app.cli import main
from urdu_genre_app.core.bundle import load_bundle

GOOD_PER_GENRE = 9  # 36 good songs and 4 broken ones: 10 % of the folder


@pytest.fixture
def folder_with_broken_files(tmp_path) -> tuple[Path, dict[str, Path]]:
    root = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=GOOD_PER_GENRE, seconds=4.0,
                                              suffixes=(".wav", ".flac"))
    rng = np.random.default_rng(3)
    good_flac = audio_factory.write_audio(tmp_path / "good.flac", audio_factory.make_sound("Tone", 4.0, seed=1))
    good_mp3 = audio_factory.write_audio(tmp_path / "good.mp3", audio_factory.make_sound("Sweep", 4.0, seed=2))
    broken = {
        # A FLAC header that declares 4 s, then noise bytes: the scan's duration looks fine,
        # only decoding finds out (it fails while windows are extracted).
        "corrupt": root / "Tone" / "corrupt.flac",
        "truncated": root / "Noise" / "truncated.mp3",
        "empty": root / "Clicks" / "empty.wav",
        "not audio": root / "Sweep" / "lyrics.m4a",
    }
    header = good_flac.read_bytes()[:200]
    broken["corrupt"].write_bytes(header + rng.bytes(40_000))
    broken["truncated"].write_bytes(good_mp3.read_bytes()[:300])
    broken["empty"].write_bytes(b"")
    broken["not audio"].write_text("Not audio at all: the words of a song, saved with the wrong extension.\n" * 50)
    return root, broken


def _train_args(root: Path, out: Path) -> list[str]:
    return ["train", str(root), "--out", str(out), "--model", "logreg", "--epochs", "2", "--window-seconds", "3",
            "--windows-per-song", "2", "--no-cache", "--workers", "1", "--quiet", "--seed", "1"]


def test_trains_to_the_end_and_lists_every_skipped_file(folder_with_broken_files, tmp_path, capsys):
    root, broken = folder_with_broken_files
    out = tmp_path / "model.ugm"
    assert main(_train_args(root, out)) == 0
    printed = capsys.readouterr()
    text = printed.out + printed.err
    bundle = load_bundle(out)
    assert bundle.labels == sorted(audio_factory.TINY_LABELS, key=str.casefold)
    assert bundle.novelty is not None  # the pipeline fitted the "not a genre it knows" check on its split
    assert bundle.metrics["novelty"]["validation_windows_flagged_unknown"] <= 0.25
    skipped_lines = [line for line in text.splitlines() if line.startswith("skipped ")]
    for kind, path in broken.items():
        lines = [line for line in skipped_lines if str(path) in line]
        assert len(lines) == 1, f"{kind} file {path.name} not listed once: {skipped_lines}"
        reason = lines[0].split(f"{path}: ", 1)[1]
        assert len(reason) > 5, lines[0]
    assert len(skipped_lines) == len(broken), skipped_lines
    assert "the file is empty" in next(line for line in skipped_lines if "empty.wav" in line)


def test_the_training_report_lists_skipped_files_with_reasons(folder_with_broken_files):
    from training.pipeline import TrainingConfig, run_training

    root, broken = folder_with_broken_files
    from training.extract import ExtractionConfig
    from urdu_genre_app.core.features import FeatureParams

    report = run_training(TrainingConfig(
        dataset=root, out=None, models=("logreg",), feature_params=FeatureParams(window_seconds=3.0),
        extraction=ExtractionConfig(windows_per_song=2), cache_dir=None, workers=1,
        fit=__import__("training.fit", fromlist=["FitConfig"]).FitConfig(epochs=1),
    ))
    listed = {Path(s.path): s.reason for s in report.skipped_files}
    assert set(listed) == set(broken.values()), listed
    assert all(reason for reason in listed.values())
    assert len(report.split.train) > 0 and report.results  # it trained on the rest
