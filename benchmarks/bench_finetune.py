"""Few-shot: from scratch versus fine-tuned from the bundled model, on songs unlike its training corpus.

Run:  .venv/bin/python benchmarks/bench_finetune.py [--shots 3,6,12] [--seeds 0] [--recipes scratch,zero,conv]

1. Generates two sets with the independent generator
   (``benchmarks/independent_songs.py``, written apart from ``training/synth``):
   a *pool* (``--pool-per-genre`` songs a genre, seed ``--pool-seed``) that the
   few-shot songs are drawn from, and a *test* set (``--test-per-genre``, seed
   ``--test-seed``) that no model trains on. Both are kept under ``--work``.
2. Extracts MFCC windows through the real pipeline
   (:func:`training.extract.extract_windows`, cached): pool songs with the
   training intro skips and ``--windows-per-song`` random windows; test songs
   with ``--test-windows`` random windows anywhere in the song, scored by the
   mean vote of its windows (song accuracy, as ``urdu-genre train`` reports).
3. For every shot count N and seed: draws N pool songs a genre, then trains
   each recipe on all of them (no song held out; the recipe's epoch count is
   fixed) and scores it on the whole test set:

   ``zero``     the bundled model as it is (no training; the "before");
   ``scratch``  a new BN-CNN with ``urdu-genre train``'s default recipe, its
                normalisation measured on the N songs;
   ``none`` / ``conv`` / ``backbone``  fine-tuned from the bundle with
                :data:`training.finetune.TINY_SET_FIT`, freezing nothing, the
                convolutions, or convolutions and BatchNorm.

Prints one row per (N, recipe): mean test song accuracy over seeds (each
seed's value too) and fitting seconds (the machine is shared, so times are
noisy). ``--json`` writes the rows.

``--improve N`` instead runs the GUI's API end to end
(:func:`training.improve.improve_model` on N pool songs a genre: k-fold
before/after, the final fine-tune, the bundle written), prints its figures and
wall time, then classifies every test song with the current and the written
bundle through the app's own :class:`~urdu_genre_app.core.classifier.Classifier`
(LiteRT, every window of the song).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

RECIPES = ("zero", "scratch", "none", "conv", "backbone")
WORK = ROOT / "benchmarks" / "_work" / "finetune"
BUNDLED = ROOT / "resources" / "models" / "bn_cnn_synthetic.ugm"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Few-shot: scratch vs fine-tuned from the bundled model.")
    parser.add_argument("--shots", default="3,6,12", help="songs per genre to train on (comma-separated)")
    parser.add_argument("--seeds", default="0", help="seeds of the song draw and the weights (comma-separated)")
    parser.add_argument("--recipes", default="zero,scratch,conv", help=f"comma-separated, from {','.join(RECIPES)}")
    parser.add_argument("--bundle", type=Path, default=BUNDLED, help="bundle to fine-tune (default: the bundled one)")
    parser.add_argument("--work", type=Path, default=WORK, help="corpus and feature cache folder")
    parser.add_argument("--pool-per-genre", type=int, default=12)
    parser.add_argument("--pool-seed", type=int, default=101)
    parser.add_argument("--test-per-genre", type=int, default=8)
    parser.add_argument("--test-seed", type=int, default=202)
    parser.add_argument("--seconds", default="90-150", help="song lengths A-B in seconds")
    parser.add_argument("--windows-per-song", type=int, default=5, help="random training windows per song")
    parser.add_argument("--test-windows", type=int, default=8, help="random windows per test song")
    parser.add_argument("--epochs", type=int, default=None, help="override the fine-tune recipe's epochs")
    parser.add_argument("--learning-rate", type=float, default=None, help="override the fine-tune learning rate")
    parser.add_argument("--scratch-epochs", type=int, default=15, help="epochs of the from-scratch recipe (default 15)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument("--improve", type=int, default=None, metavar="N",
                        help="instead: run training.improve.improve_model on N pool songs a genre (seed: the "
                             "first of --seeds), then classify the test set with the written bundle through the "
                             "app's Classifier (LiteRT)")
    return parser.parse_args(argv)


def run_improve(args, pool_dir: Path, test_dir: Path, seed: int) -> int:
    """End to end: the GUI's API on N confirmed songs a genre, then the app's classifier on the test set."""
    from training.dataset import scan_folder
    from training.improve import improve_model
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    pool = scan_folder(pool_dir)
    rng = np.random.default_rng([seed, args.improve])
    pairs = []
    for genre in pool.labels:
        songs = [s for s in pool.songs if s.genre == genre]
        pairs += [(songs[i].path, genre) for i in sorted(rng.choice(len(songs), args.improve, replace=False))]
    out = args.work / f"improved_{args.improve}_{seed}.ugm"
    began = time.perf_counter()
    from training.observer import NullObserver

    class Printer(NullObserver):
        def on_log(self, line) -> None:
            print(f"  {line.message}", flush=True)

    result = improve_model(pairs, bundle=args.bundle, out=out, seed=seed, cache_dir=args.work / "cache",
                           observer=Printer())
    wall = time.perf_counter() - began
    for fold in result.folds:
        print(f"  fold {fold.fold}: {fold.held_out} held out, before {fold.before_accuracy:.0%}, "
              f"after {fold.after_accuracy:.0%} ({fold.seconds:.0f} s fine-tune)")
    print(result.describe())
    print(f"improve_model wall time {wall:.0f} s for {result.n_folds} folds + the final fine-tune")
    test = scan_folder(test_dir)
    for name, bundle in (("current", load_bundle(args.bundle)), ("improved", load_bundle(out))):
        classifier = Classifier(bundle)
        right = sum(classifier.classify_file(s.path).genre == s.genre for s in test.songs)
        print(f"{name} bundle, app classifier (every window): {right}/{len(test.songs)} test songs "
              f"= {right / len(test.songs):.1%}")
    return 0


def ensure_set(folder: Path, per_genre: int, seed: int, seconds: tuple[float, float]) -> Path:
    """Generate an independent set into ``folder`` (WAV), or reuse it when its parameters match."""
    import independent_songs

    wanted = {"per_genre": per_genre, "seed": seed, "seconds": list(seconds)}
    stamp = folder / "params.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == wanted:
        return folder
    independent_songs.write_corpus(folder, per_genre, seed, seconds, ("wav",))
    stamp.write_text(json.dumps(wanted))
    return folder


def extract(folder: Path, *, labels, params, windows_per_song: int, skips: bool, seed: int, cache: Path):
    from training.dataset import scan_folder
    from training.extract import ExtractionConfig, extract_windows

    scan = scan_folder(folder)
    config = ExtractionConfig(windows_per_song=windows_per_song, seed=seed)
    if not skips:
        config = dataclasses.replace(config, intro_skip_seconds={})
    return extract_windows(scan.songs, labels=labels, params=params, config=config, cache_dir=cache)


def draw_songs(windows, shots: int, seed: int) -> np.ndarray:
    """``shots`` song ids per genre, drawn at random."""
    rng = np.random.default_rng([seed, shots])
    song_labels = windows.song_labels
    picked = [rng.choice(np.flatnonzero(song_labels == k), size=shots, replace=False)
              for k in range(len(windows.labels))]
    return np.sort(np.concatenate(picked))


def song_accuracy(model, test_x: np.ndarray, test) -> float:
    from training.evaluate import evaluate_probabilities

    probabilities = np.asarray(model.predict(test_x[..., np.newaxis], batch_size=64, verbose=0))
    return evaluate_probabilities(probabilities, y_true=test.label, songs=test.song, labels=test.labels).song_accuracy


def run_recipe(recipe: str, *, pool, pool_raw: np.ndarray, rows: np.ndarray, test, test_raw: np.ndarray,
               bundle, args, seed: int) -> tuple[float, float, int]:
    """Train one recipe on the chosen pool windows; (test song accuracy, fit seconds, epochs run)."""
    import keras

    from training.finetune import TINY_SET_FIT, WarmStart, finetune_windows, warm_start_model
    from training.fit import FitConfig, fit_keras_model
    from training.models import build_bn_cnn
    from training.pipeline import standardisation

    if recipe == "zero":
        from training.export import keras_model_from_bundle

        model = keras_model_from_bundle(bundle)
        return song_accuracy(model, bundle.normalise(test_raw).astype(np.float32), test), 0.0, 0
    if recipe == "scratch":
        mean, std = standardisation(pool_raw, rows)
        x = ((pool_raw - mean) / std).astype(np.float32)
        keras.utils.set_random_seed(seed)
        model = build_bn_cnn(bundle.feature_params.input_shape, len(pool.labels), bn_momentum=0.9)
        fit = FitConfig(epochs=args.scratch_epochs, patience=None, seed=seed)
        validation = rows[:: max(1, rows.size // 64)]
        started = time.perf_counter()
        result = fit_keras_model(model, x_train=x[rows], y_train=pool.label[rows], x_validation=x[validation],
                                 y_validation=pool.label[validation], config=fit)
        seconds = time.perf_counter() - started
        return song_accuracy(model, ((test_raw - mean) / std).astype(np.float32), test), seconds, len(result.history)
    fit = dataclasses.replace(TINY_SET_FIT, seed=seed)
    if args.epochs:
        fit = dataclasses.replace(fit, epochs=args.epochs)
    if args.learning_rate:
        fit = dataclasses.replace(fit, learning_rate=args.learning_rate)
    warm = WarmStart(bundle=bundle, labels=list(bundle.labels))
    model = warm_start_model(warm, freeze=recipe, seed=seed)
    x = bundle.normalise(pool_raw).astype(np.float32)
    started = time.perf_counter()
    result = finetune_windows(model, x, pool.label, train_rows=rows, fit=fit)
    seconds = time.perf_counter() - started
    return song_accuracy(model, bundle.normalise(test_raw).astype(np.float32), test), seconds, len(result.history)


def main(argv=None) -> int:
    args = parse_args(argv)
    from training.finetune import load_warm_start_bundle

    lo, _, hi = args.seconds.partition("-")
    seconds = (float(lo), float(hi or lo))
    began = time.perf_counter()
    pool_dir = ensure_set(args.work / "pool", args.pool_per_genre, args.pool_seed, seconds)
    test_dir = ensure_set(args.work / "test", args.test_per_genre, args.test_seed, seconds)
    if args.improve:
        return run_improve(args, pool_dir, test_dir, int(args.seeds.split(",")[0]))
    bundle = load_warm_start_bundle(args.bundle)
    cache = args.work / "cache"
    pool = extract(pool_dir, labels=bundle.labels, params=bundle.feature_params,
                   windows_per_song=args.windows_per_song, skips=True, seed=0, cache=cache)
    test = extract(test_dir, labels=bundle.labels, params=bundle.feature_params,
                   windows_per_song=args.test_windows, skips=False, seed=1, cache=cache)
    print(f"pool {len(pool.songs)} songs / {len(pool)} windows, test {len(test.songs)} songs / {len(test)} windows "
          f"(corpus and features {time.perf_counter() - began:.0f} s)", flush=True)
    rows_out = []
    for shots in [int(s) for s in args.shots.split(",")]:
        for recipe in [r.strip() for r in args.recipes.split(",")]:
            if recipe not in RECIPES:
                raise SystemExit(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
            per_seed = []
            for seed in [int(s) for s in args.seeds.split(",")]:
                songs = draw_songs(pool, shots, seed)
                rows = np.flatnonzero(np.isin(pool.song, songs))
                accuracy, fit_seconds, epochs = run_recipe(recipe, pool=pool, pool_raw=pool.features, rows=rows,
                                                           test=test, test_raw=test.features, bundle=bundle,
                                                           args=args, seed=seed)
                per_seed.append({"seed": seed, "accuracy": accuracy, "seconds": fit_seconds, "epochs": epochs})
                print(f"  {shots}/genre {recipe:<8} seed {seed}: {accuracy:.1%} ({fit_seconds:.0f} s, "
                      f"{epochs} epochs, {rows.size} windows)", flush=True)
            rows_out.append({"shots": shots, "recipe": recipe, "windows_per_song": args.windows_per_song,
                             "mean_accuracy": float(np.mean([p["accuracy"] for p in per_seed])),
                             "mean_seconds": float(np.mean([p["seconds"] for p in per_seed])), "runs": per_seed})
    print()
    print(f"test: {len(test.songs)} independent songs ({args.test_per_genre}/genre), song accuracy (mean vote of "
          f"{args.test_windows} windows); train windows/song {args.windows_per_song}; cpu cores {os.cpu_count()}")
    print(f"{'songs/genre':>11}  {'recipe':<9} {'accuracy':>9}  {'per seed':<24} {'fit s':>6}")
    for row in rows_out:
        seeds = " ".join(f"{p['accuracy']:.0%}" for p in row["runs"])
        print(f"{row['shots']:>11}  {row['recipe']:<9} {row['mean_accuracy']:>8.1%}  {seeds:<24} "
              f"{row['mean_seconds']:>6.0f}")
    if args.json:
        args.json.write_text(json.dumps(rows_out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
