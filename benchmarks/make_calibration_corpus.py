"""Regenerate part of the bundled model's training corpus, split the way its training run split it.

The bundled model was trained on 560 synthetic songs (seed 2026, 140 per genre;
resources/MODEL_CARD.md) split by song 60/20/20 with the same seed. Songs are a
pure function of (seed, genre, index), and the split is a seeded permutation of
song indices per genre, so the run's validation songs can be made again without
making the other 448. This writes

* ``OUT/validation/<Genre>/...``: the run's validation songs (all of them, or
  the first ``--validation-songs`` per genre), and
* ``OUT/train/<Genre>/...``: the first ``--train-songs`` training songs per genre,

for ``urdu-genre calibrate`` to fit the "not a genre this model knows"
check on (class statistics from training songs, threshold and temperature from
validation songs the model never trained on)::

    .venv/bin/python benchmarks/make_calibration_corpus.py corpus/calibration --train-songs 10 --workers 2
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from training.split import DEFAULT_FRACTIONS, _side_counts  # noqa: E402
from training.synth.corpus import _make_one, song_path, song_plan  # noqa: E402
from training.synth.song import GENRES  # noqa: E402

#: The bundled model's corpus (resources/MODEL_CARD.md).
CORPUS_SEED = 2026
SONGS_PER_GENRE = 140
FORMATS = ("wav", "mp3", "m4a", "flac", "ogg")
DURATION_RANGE = (120.0, 360.0)


def original_split(seed: int = CORPUS_SEED, songs_per_genre: int = SONGS_PER_GENRE) -> dict[str, dict[str, list[int]]]:
    """Song indices per genre on each side of the training run's song split.

    Mirrors :func:`training.split.split_windows` (mode ``"song"``): genres in
    sorted order, each genre's songs (sorted by file name, i.e. by index)
    permuted by one generator seeded with the run's seed.
    """
    rng = np.random.default_rng(seed)
    labels = sorted(GENRES, key=lambda g: (g.casefold(), g))
    sides: dict[str, dict[str, list[int]]] = {}
    for genre in labels:
        members = rng.permutation(np.arange(songs_per_genre))
        n_train, n_validation, _ = _side_counts(songs_per_genre, DEFAULT_FRACTIONS, genre, "songs")
        sides[genre] = {
            "train": sorted(int(i) for i in members[:n_train]),
            "validation": sorted(int(i) for i in members[n_train : n_train + n_validation]),
            "test": sorted(int(i) for i in members[n_train + n_validation :]),
        }
    return sides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--train-songs", type=int, default=10, help="training songs per genre (default 10)")
    parser.add_argument("--validation-songs", type=int, default=None, help="validation songs per genre (default all)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    jobs = []
    for genre, sides in original_split().items():
        for side, indices in (("train", sides["train"][: args.train_songs]),
                              ("validation", sides["validation"][: args.validation_songs])):
            for index in indices:
                song_seed, duration, fmt, bit_rate = song_plan(CORPUS_SEED, genre, index, DURATION_RANGE, FORMATS)
                path = song_path(args.out / side, genre, index, fmt)
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    jobs.append((genre, index, song_seed, duration, fmt, bit_rate, str(path), 22050, "numpy"))
    started = time.perf_counter()
    print(f"generating {len(jobs)} songs into {args.out}", flush=True)
    if args.workers <= 1:
        for job in jobs:
            _make_one(job)
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for done, _ in enumerate(pool.map(_make_one, jobs), 1):
                if done % 20 == 0:
                    print(f"  {done}/{len(jobs)} ({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
