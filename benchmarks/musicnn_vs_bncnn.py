"""musicnn transfer against the BN-CNN: same songs, same split, tested on a generator neither trained on.

Run (reproduces docs/TRAINING.md's "musicnn transfer" section):

    python -m training.synth benchmarks/_work/synth --songs-per-genre 32 --seed 0 \\
        --min-seconds 70 --max-seconds 100
    python benchmarks/independent_songs.py benchmarks/_work/independent --per-genre 8 --seed 1 \\
        --seconds 70-100 --formats mp3
    python benchmarks/musicnn_vs_bncnn.py --train benchmarks/_work/synth \\
        --independent benchmarks/_work/independent --curve 3,6,12,24

The synthetic corpus's songs are split per genre by index: the last
``--test-songs`` are the song-split test set, the ``--val-songs`` before them
choose each model's best epoch, and the first N of the rest train it, for each
N of ``--curve``. Both families see the very same windows (``--windows-per-song``
random 30 s windows per song (default 1), the pipeline's extraction with its intro skips):
the BN-CNN their MFCCs, standardised as the pipeline does; musicnn their
log-mel, through the frozen backbone once, then only the head is fitted. Song
accuracy is the mean vote of a song's windows (the pipeline's rule); per-genre
figures are recalls. Times are wall seconds of fitting (and, for musicnn, of
embedding the training windows) on this machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load(folder: Path, params, windows_per_song: int, cache: Path):
    from training.dataset import scan_dataset
    from training.extract import ExtractionConfig, extract_windows

    scan = scan_dataset(folder)
    return extract_windows(scan.songs, labels=scan.labels, params=params,
                           config=ExtractionConfig(windows_per_song=windows_per_song, seed=0), workers=2,
                           cache_dir=cache)


def song_rows(windows, genre_index: int, song_positions: list[int]) -> np.ndarray:
    """Rows of the clean windows of the given songs (by position within their genre)."""
    genre_songs = [i for i, s in enumerate(windows.songs) if windows.labels.index(s.genre) == genre_index]
    chosen = {genre_songs[p] for p in song_positions if p < len(genre_songs)}
    return np.flatnonzero(np.isin(windows.song, list(chosen)) & (windows.copy == 0))


def evaluate(probabilities, windows, rows):
    from training.evaluate import evaluate_probabilities

    e = evaluate_probabilities(probabilities, y_true=windows.label[rows], songs=windows.song[rows],
                               labels=windows.labels)
    return {"song_accuracy": e.song_accuracy, "per_genre": {g: s["recall"] for g, s in e.per_class.items()},
            "songs": int(np.unique(windows.song[rows]).size)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True, help="synthetic corpus folder (training.synth)")
    parser.add_argument("--independent", type=Path, required=True, help="independent_songs.py folder")
    parser.add_argument("--curve", default="3,6,12,24", help="training songs per genre")
    parser.add_argument("--test-songs", type=int, default=6)
    parser.add_argument("--val-songs", type=int, default=2)
    parser.add_argument("--windows-per-song", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=15, help="BN-CNN epochs (early stopping, patience 4)")
    parser.add_argument("--families", default="bn_cnn,musicnn")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "_work" / "musicnn_vs_bncnn.json")
    args = parser.parse_args()
    import keras

    from training.fit import FitConfig, fit_keras_model
    from training.models import build_bn_cnn
    from training.musicnn.genre_model import _embedding_model, build_head, musicnn_feature_params, window_embeddings
    from training.pipeline import standardisation
    from urdu_genre_app.core.features import FeatureParams

    cache = ROOT / "benchmarks" / "_work" / "feature_cache"
    curve = [int(n) for n in args.curve.split(",")]
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    prepared = {}

    def prepare(family: str) -> dict:
        """Both sets' windows for a family, their fixed rows, and (lazily, for musicnn) embeddings."""
        if family in prepared:
            return prepared[family]
        params = musicnn_feature_params() if family == "musicnn" else FeatureParams()
        train_set = load(args.train, params, args.windows_per_song, cache)
        other_set = load(args.independent, params, args.windows_per_song, cache)
        assert train_set.labels == other_set.labels, (train_set.labels, other_set.labels)
        genres = range(len(train_set.labels))
        per_genre = min(sum(1 for s in train_set.songs if s.genre == g) for g in train_set.labels)
        test_positions = list(range(per_genre - args.test_songs, per_genre))
        val_positions = list(range(per_genre - args.test_songs - args.val_songs, per_genre - args.test_songs))
        entry = {
            "train_set": train_set, "other_set": other_set, "genres": genres,
            "test_rows": np.concatenate([song_rows(train_set, g, test_positions) for g in genres]),
            "val_rows": np.concatenate([song_rows(train_set, g, val_positions) for g in genres]),
            "other_rows": np.flatnonzero(other_set.copy == 0),
        }
        if family == "musicnn":
            # Embeddings only of the windows used, computed once each (the backbone is the cost).
            entry["embedding"] = _embedding_model()
            entry["cache"] = {"train": {}, "other": {}}
            entry["embed_seconds"] = []
        else:
            clean = np.flatnonzero(train_set.copy == 0)
            mean, std = standardisation(train_set.features, clean)
            entry["x"] = {"train": (train_set.features - mean) / std, "other": (other_set.features - mean) / std}
        prepared[family] = entry
        return entry

    def inputs(family: str, side: str, rows: np.ndarray) -> np.ndarray:
        entry = prepare(family)
        if family != "musicnn":
            return entry["x"][side][rows]
        known = entry["cache"][side]
        missing = [r for r in rows if r not in known]
        if missing:
            windows = entry["train_set" if side == "train" else "other_set"]
            started = time.perf_counter()
            values = window_embeddings(windows.features[missing], embedding=entry["embedding"])
            entry["embed_seconds"].append((time.perf_counter() - started) / len(missing))
            known.update(zip(missing, values))
        return np.stack([known[r] for r in rows])

    for n in curve:
        for family in args.families.split(","):
            entry = prepare(family)
            train_set, other_set = entry["train_set"], entry["other_set"]
            train_rows = np.concatenate([song_rows(train_set, g, list(range(n))) for g in entry["genres"]])
            keras.utils.set_random_seed(0)
            x_train, x_val = inputs(family, "train", train_rows), inputs(family, "train", entry["val_rows"])
            if family == "musicnn":
                model = build_head(x_train.shape[1], len(train_set.labels))
                fit = FitConfig(epochs=80, batch_size=16, learning_rate=1e-3, patience=15, seed=0)
                fit = dataclasses.replace(fit, spec_augment=dataclasses.replace(fit.spec_augment, enabled=False))
            else:
                model = build_bn_cnn(FeatureParams().input_shape, len(train_set.labels), bn_momentum=0.9)
                fit = FitConfig(epochs=args.epochs, batch_size=16, patience=4, seed=0)
            started = time.perf_counter()
            history = fit_keras_model(model, x_train=x_train, y_train=train_set.label[train_rows],
                                      x_validation=x_val, y_validation=train_set.label[entry["val_rows"]],
                                      config=fit)
            seconds = time.perf_counter() - started
            if family == "musicnn":  # embedding the training windows is part of training it
                seconds += float(np.mean(entry["embed_seconds"])) * train_rows.size
            predict = lambda x: np.asarray(model.predict(x[..., None], batch_size=16, verbose=0))  # noqa: E731
            record = {
                "family": family, "songs_per_genre": n, "train_windows": int(train_rows.size),
                "epochs_run": len(history.history), "train_seconds": round(seconds, 1),
                "load_average": round(os.getloadavg()[0], 1),
                "song_split_test": evaluate(predict(inputs(family, "train", entry["test_rows"])), train_set,
                                            entry["test_rows"]),
                "independent": evaluate(predict(inputs(family, "other", entry["other_rows"])), other_set,
                                        entry["other_rows"]),
            }
            results[f"{family}/{n}"] = record
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=1))
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
