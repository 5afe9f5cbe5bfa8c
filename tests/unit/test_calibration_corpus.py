"""benchmarks/make_calibration_corpus.py: the bundled model's own split, regenerated in part."""

from __future__ import annotations

import numpy as np

from tests.benchmark_modules import load_benchmark


corpus_script = load_benchmark("make_calibration_corpus")


def test_split_matches_the_training_runs_sides():
    sides = corpus_script.original_split()
    for genre, side in sides.items():
        everything = side["train"] + side["validation"] + side["test"]
        assert sorted(everything) == list(range(corpus_script.SONGS_PER_GENRE)), genre
        assert (len(side["train"]), len(side["validation"]), len(side["test"])) == (84, 28, 28)


def test_writes_the_chosen_songs_of_each_side(tmp_path, monkeypatch):
    # The songs themselves are training/synth's (tested there); a short stand-in keeps this fast.
    import training.synth.corpus as corpus

    made = []

    def short_song(genre, seed, *, duration_seconds, sample_rate):
        made.append((genre, seed))
        return 0.1 * np.random.default_rng(seed).standard_normal(sample_rate).astype(np.float32)

    monkeypatch.setattr(corpus, "generate_song", short_song)
    assert corpus_script.main([str(tmp_path), "--train-songs", "1", "--validation-songs", "1"]) == 0
    written = sorted(p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file())
    genres = sorted(corpus_script.original_split())
    assert written == sorted([("train", g) for g in genres] + [("validation", g) for g in genres])
    assert len(made) == 2 * len(genres)
    # A second run finds every song there and makes none.
    assert corpus_script.main([str(tmp_path), "--train-songs", "1", "--validation-songs", "1"]) == 0
    assert len(made) == 2 * len(genres)
