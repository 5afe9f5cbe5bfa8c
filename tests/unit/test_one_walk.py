"""One way to classify many files and walk a folder (issue 18.5): the CLI runs the Library's batch,
training walks folders with the same walk, and a failure becomes a sentence by one rule."""

from __future__ import annotations

import os

import pytest

from tests import audio_factory
from urdu_genre_app.cli import main
from urdu_genre_app.core.errors import (
    AudioDecodeError,
    NoModelError,
    SaveError,
    UrduGenreError,
    failure_reason,
)
from urdu_genre_app.library import batch
from urdu_genre_app.library.scan import NOT_REGULAR_FILE
from urdu_genre_app.resources import bundled_model_path


@pytest.mark.parametrize("error, reason", [
    (AudioDecodeError("/music/a.mp3", "it is empty"), "it is empty"),
    (SaveError("/x/model.ugm", "the disk is full"), "the disk is full"),
    (NoModelError("no model is installed"), "no model is installed"),
    (UrduGenreError(), ""),
    (ValueError("boom"), "unexpected error: ValueError: boom"),
])
def test_every_error_has_a_reason_and_one_rule_makes_it_a_sentence(error, reason):
    if isinstance(error, UrduGenreError):
        assert error.reason == reason
    assert failure_reason(error) == (reason or str(error))


@pytest.fixture
def songs(tmp_path):
    folder = tmp_path / "songs"
    folder.mkdir()
    for index, kind in enumerate(("Tone", "Noise", "Sweep")):
        audio_factory.write_audio(folder / f"{index} {kind}.wav", audio_factory.make_sound(kind, 4.0, seed=index))
    (folder / "3 broken.mp3").write_bytes(b"not audio")
    return folder


def test_classify_runs_the_library_batch_and_prints_in_the_order_given(songs, monkeypatch, capsys):
    """However the batch's outcomes arrive (a pool finishes songs out of order), the output keeps the input order."""
    real = batch.classify_files
    calls = []

    def reversed_outcomes(paths, bundle_path, *, on_outcome=None, **options):
        calls.append(list(paths))
        held = []
        summary = real(paths, bundle_path, on_outcome=held.append, **options)
        for outcome in reversed(held):
            on_outcome(outcome)
        return summary

    monkeypatch.setattr(batch, "classify_files", reversed_outcomes)
    assert main(["classify", "-q", "--model", str(bundled_model_path()), str(songs)]) == 1
    out, err = capsys.readouterr()
    assert calls == [[str(songs / name) for name in ("0 Tone.wav", "1 Noise.wav", "2 Sweep.wav", "3 broken.mp3")]]
    assert [line.split("\t")[0] for line in out.splitlines() if not line.startswith(" ")] == calls[0][:3]
    assert err.count("cannot classify") == 1 and "3 broken.mp3: not a recognised audio" in err


def test_training_walks_genre_folders_with_the_same_walk(tmp_path):
    """A FIFO in a genre folder is reported as skipped by the dataset scan, as by the CLI and the Library."""
    from training.dataset import scan_folder

    root = audio_factory.write_labeled_folder(tmp_path / "dataset", songs_per_genre=1, seconds=3.0)
    genre = sorted(p for p in root.iterdir() if p.is_dir())[0]
    os.mkfifo(genre / "pipe.wav")
    scan = scan_folder(root)
    assert len(scan.songs) == 4
    assert [(s.path.name, s.reason) for s in scan.skipped] == [("pipe.wav", NOT_REGULAR_FILE)]
