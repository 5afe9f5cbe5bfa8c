"""Does a model trained on one song generator recognise songs from another? Per genre, song level.

Run (corpora are folders with one sub-folder per genre; see docs/TRAINING.md for the sizes used)::

    python benchmarks/cross_generator.py --work DIR \
        --train numpy=numpy-train --train sampled=sampled-train --train mixed=mixed-train \
        --test numpy=numpy-test --test sampled=sampled-test --test independent=independent \
        --epochs 12 --copies 1 --spec-augment

For every training corpus it trains the paper's BN-CNN (the project's fitting
recipe, ``training.fit.FitConfig``) on its song split and scores it on the
split's own test songs and on every ``--test`` corpus (never trained on):
song accuracy (mean vote of each song's random 30 s windows) and each genre's
correct songs. Training time (extraction and fitting) is printed per corpus.
Features are cached under ``DIR/features``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np


def _named(values: list[str], work: Path) -> dict[str, Path]:
    out = {}
    for value in values:
        name, _, folder = value.partition("=")
        if not folder:
            raise SystemExit(f"expected NAME=FOLDER, got {value!r}")
        path = Path(folder)
        out[name] = path if path.is_absolute() else work / path
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python benchmarks/cross_generator.py", description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, required=True, help="folder of the corpora and the feature cache")
    p.add_argument("--train", action="append", default=[], help="NAME=FOLDER of a training corpus (repeatable)")
    p.add_argument("--test", action="append", default=[], help="NAME=FOLDER of a held-out corpus (repeatable)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--copies", type=int, default=1, help="augmented copies per training window (default 1)")
    p.add_argument("--spec-augment", action="store_true")
    p.add_argument("--old-augment", action="append", default=[], metavar="NAME",
                   help="train NAME without the EQ bells, brick-wall low-pass and small room (the augmentation "
                        "before issue 12); repeatable")
    p.add_argument("--models", type=Path, default=None,
                   help="keep each trained model here (NAME.keras, NAME.npz); an existing one is loaded, not retrained")
    p.add_argument("--windows-per-song", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Train on each ``--train`` corpus, score on its test split and on every ``--test`` corpus; print tables."""
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from training.augment import SpecAugmentConfig, WaveAugmentConfig
    from training.dataset import scan_folder
    from training.evaluate import evaluate_probabilities
    from training.extract import ExtractionConfig, extract_windows
    from training.fit import FitConfig, fit_keras_model
    from training.models import build_bn_cnn
    from training.observer import NullObserver
    from training.pipeline import standardisation
    from training.split import split_windows
    from urdu_genre_app.core.features import FeatureParams

    trains, tests = _named(args.train, args.work), _named(args.test, args.work)
    if not trains:
        print("give at least one --train NAME=FOLDER", file=sys.stderr)
        return 2
    params = FeatureParams()
    cache = args.work / "features"
    plain = ExtractionConfig(seed=args.seed, windows_per_song=args.windows_per_song)
    labels = None
    results = []
    for train_name, root in trains.items():
        scan = scan_folder(root)
        labels = labels or scan.labels
        if scan.labels != labels:
            print(f"{root}: genres {scan.labels} differ from {labels}", file=sys.stderr)
            return 2
        t0 = time.perf_counter()
        off = dict(bell_probability=0.0, brickwall_probability=0.0, room_probability=0.0)
        config = dataclasses.replace(plain, augment=WaveAugmentConfig(copies=args.copies,
                                                                      **(off if train_name in args.old_augment else {})))
        windows = extract_windows(scan.songs, labels=labels, params=params, config=config, workers=args.workers,
                                  cache_dir=cache)
        extract_s = time.perf_counter() - t0
        split = split_windows(windows, seed=args.seed)
        clean_train = split.train[windows.copy[split.train] == 0]
        mean, std = standardisation(windows.features, clean_train)
        x = (windows.features - mean) / std
        saved = args.models / f"{train_name}.keras" if args.models else None
        if saved is not None and saved.exists():
            import keras

            model = keras.models.load_model(saved)
            info = np.load(saved.with_suffix(".npz"))
            extract_s, fit_s, epochs = float(info["extract_s"]), float(info["fit_s"]), int(info["epochs"])
        else:
            fit = FitConfig(epochs=args.epochs, patience=args.patience, seed=args.seed,
                            spec_augment=SpecAugmentConfig(enabled=args.spec_augment))
            model = build_bn_cnn(params.input_shape, len(labels), bn_momentum=fit.bn_momentum)
            t1 = time.perf_counter()
            epochs = len(fit_keras_model(model, x_train=x[split.train], y_train=windows.label[split.train],
                                         x_validation=x[split.validation], y_validation=windows.label[split.validation],
                                         config=fit, observer=NullObserver()).history)
            fit_s = time.perf_counter() - t1
            if saved is not None:
                saved.parent.mkdir(parents=True, exist_ok=True)
                model.save(saved)
                np.savez(saved.with_suffix(".npz"), extract_s=extract_s, fit_s=fit_s, epochs=epochs)
        scores = {"own test split": evaluate_probabilities(
            model.predict(x[split.test][..., None], verbose=0), y_true=windows.label[split.test],
            songs=windows.song[split.test], labels=labels)}
        for test_name, test_root in tests.items():
            tw = extract_windows(scan_folder(test_root).songs, labels=labels, params=params, config=plain,
                                 workers=args.workers, cache_dir=cache)
            scores[test_name] = evaluate_probabilities(model.predict(((tw.features - mean) / std)[..., None],
                                                                     verbose=0),
                                                       y_true=tw.label, songs=tw.song, labels=labels)
        n_train_songs = len(np.unique(windows.song[split.train]))
        results.append((train_name, scores, extract_s, fit_s, epochs, n_train_songs, int(split.train.size)))
        print(f"{train_name}: {n_train_songs} training songs, {split.train.size} training windows, "
              f"extraction {extract_s:.0f} s, fitting {fit_s:.0f} s ({epochs} epochs); "
              + ", ".join(f"{k} {v.song_accuracy:.1%}" for k, v in scores.items()), flush=True)

    print("\n| trained on | tested on | songs | song accuracy | " + " | ".join(labels) + " |")
    print("|---|---|---|---|" + "---|" * len(labels))
    for train_name, scores, *_ in results:
        for test_name, ev in scores.items():
            diag = np.diag(ev.song_confusion)
            totals = ev.song_confusion.sum(axis=1)
            cells = " | ".join(f"{int(d)}/{int(t)}" for d, t in zip(diag, totals))
            print(f"| {train_name} | {test_name} | {ev.n_songs} | {ev.song_accuracy:.1%} | {cells} |")
    print("\n| trained on | training songs | training windows | extraction s | fitting s | epochs |")
    print("|---|---|---|---|---|---|")
    for train_name, _, extract_s, fit_s, epochs, n_songs, n_windows in results:
        print(f"| {train_name} | {n_songs} | {n_windows} | {extract_s:.0f} | {fit_s:.0f} | {epochs} |")
    print("\nconfusions (rows true, columns predicted: " + ", ".join(labels) + ")")
    for train_name, scores, *_ in results:
        for test_name, ev in scores.items():
            print(f"{train_name} -> {test_name}: {ev.song_confusion.tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
