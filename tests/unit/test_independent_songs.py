"""The independent song generator and the robustness benchmark's bookkeeping."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.benchmark_modules import load_benchmark


songs = load_benchmark("independent_songs")
bench = load_benchmark("bench_model_robustness")


@pytest.mark.parametrize("genre", songs.GENRES)
def test_each_genre_makes_finite_mono_audio_of_the_requested_length(genre):
    audio = songs.generate(genre, seed=7, seconds=6.5)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size == round(6.5 * songs.SR)
    assert np.isfinite(audio).all()
    assert np.abs(audio).max() <= 1.0
    assert np.sqrt(np.mean(audio ** 2)) > 0.01


def test_same_seed_same_song_and_other_seed_other_song():
    first = songs.generate("Qawwali", seed=3, seconds=4)
    assert np.array_equal(first, songs.generate("qawwali", seed=3, seconds=4))
    assert not np.array_equal(first, songs.generate("Qawwali", seed=4, seconds=4))


def test_unknown_genre_is_refused_by_name():
    with pytest.raises(ValueError, match="Polka"):
        songs.generate("Polka", seed=1, seconds=5)


def _fake_results(verdicts):
    """A classify function that answers from a {file name: (genre, uncertain)} table."""

    def classify(path):
        genre, uncertain = verdicts[Path(path).name]
        if genre == "boom":
            raise RuntimeError("cannot decode")
        return SimpleNamespace(genre=genre, uncertain=uncertain, confidence=0.5 if uncertain else 0.9)

    return classify


def test_benchmark_scores_a_labeled_folder_with_any_classifier(tmp_path):
    labels = ["Ghazal", "Qawwali", "Hip-hop", "Rock"]
    for folder, names in {"ghazal": ["g1.wav", "g2.mp3"], "HipHop": ["h1.wav"], "Rock": ["r1.wav", "notes.txt"],
                          "Polka": ["p1.wav"]}.items():
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_bytes(b"")
    items = bench.scan_dataset(tmp_path, labels)
    assert sorted((p.name, label) for p, label in items) == [
        ("g1.wav", "Ghazal"), ("g2.mp3", "Ghazal"), ("h1.wav", "Hip-hop"), ("r1.wav", "Rock")]

    verdicts = {"g1.wav": ("Ghazal", False), "g2.mp3": ("Qawwali", True), "h1.wav": ("Hip-hop", True),
                "r1.wav": ("boom", False)}
    outcomes = bench.evaluate(items, _fake_results(verdicts))
    summary = bench.summarize(outcomes, labels)
    assert (summary["correct"], summary["total"], summary["uncertain"], summary["uncertain_correct"]) == (2, 4, 2, 1)
    assert summary["per_genre"] == {"Ghazal": (1, 2), "Qawwali": (0, 0), "Hip-hop": (1, 1), "Rock": (0, 1)}
    assert summary["columns"] == labels + ["(none)"]
    assert summary["confusion"] == [[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]]

    report = bench.format_report(summary, labels)
    assert "accuracy: 50.0% (2/4 songs)" in report.splitlines()
    assert "flagged uncertain: 2 of 4 songs" in report
    assert "cannot decode" in report
