"""Time to a trained BN-CNN: our recipe against the paper's, side by side on this machine.

Run:  .venv/bin/python benchmarks/bench_training.py [--songs-per-genre 20] [--baseline-epochs 30]

1. Makes a small labeled corpus (``training.synth`` when installed, else
   simple test signals), then extracts 30 s MFCC windows through the real
   pipeline (:mod:`training.extract`, cached under ``--work``) and splits by
   song (:mod:`training.split`).
2. *Paper's recipe*: the paper's BN-CNN (Keras BatchNorm defaults), Adam 1e-4,
   batch 32, sparse categorical cross-entropy, ``model.fit`` on in-memory
   arrays for ``--baseline-epochs`` epochs, validated every epoch (the paper
   keeps the best validation checkpoint). Its *target* is the best validation
   accuracy it reaches.
3. *Ours*: :func:`training.fit.fit_keras_model` with the default
   :class:`training.fit.FitConfig` (Adam 1e-3 with warm-up and cosine decay,
   BatchNorm momentum 0.9, batches cut in place), stopped as soon as its
   validation accuracy reaches the target.

Prints windows/s of every epoch of both, then the wall time of the paper's
run, its time to its own best epoch, our time to the same accuracy, and the
ratios (goal: ours <= 0.5 x the paper's wall time). Both runs use the same
windows, split, seed and machine, in one process (TensorFlow imported before
either clock starts); each pays its own first-step tracing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SR = 22_050


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time to a trained BN-CNN: our recipe against the paper's (Adam 1e-4, batch 32, fixed epochs).",
    )
    parser.add_argument("--songs-per-genre", type=int, default=20, help="songs per genre (default 20)")
    parser.add_argument("--song-seconds", type=float, default=90.0, help="length of each song in s (default 90)")
    parser.add_argument("--windows-per-song", type=int, default=5, help="random windows per song (default 5)")
    parser.add_argument("--window-seconds", type=float, default=30.0, help="window length in s (default 30)")
    parser.add_argument("--baseline-epochs", type=int, default=30, help="epochs of the paper's recipe (default 30)")
    parser.add_argument("--max-epochs", type=int, default=30, help="most epochs of ours (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of corpus, windows, split and weights")
    parser.add_argument("--workers", type=int, default=None, help="extraction processes (default: CPU cores)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the corpus and feature cache (default: a temporary folder)")
    parser.add_argument("--signals", choices=("auto", "synth", "simple"), default="auto",
                        help="corpus source: training.synth, simple test signals, or synth when installed")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    return parser.parse_args(argv)


def make_corpus(root: Path, args: argparse.Namespace) -> str:
    """Write the labeled corpus under ``root`` (kept between runs) and say which generator made it."""
    use_synth = args.signals == "synth"
    if args.signals == "auto":
        try:
            import training.synth  # noqa: F401

            use_synth = True
        except ImportError:
            use_synth = False
    if use_synth:
        from training.synth import generate_corpus

        generate_corpus(root, songs_per_genre=args.songs_per_genre, seed=args.seed,
                        duration_range=(args.song_seconds, args.song_seconds), formats=("wav",),
                        workers=args.workers or os.cpu_count() or 1)
        return "training.synth"
    from tests import audio_factory

    for g, kind in enumerate(audio_factory.TINY_LABELS):
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(args.songs_per_genre):
            path = root / kind / f"{kind.lower()}_{i:03d}.wav"
            if not path.exists():
                audio_factory.write_audio(path, audio_factory.make_sound(kind, args.song_seconds, seed=1000 * g + i))
    return "tests.audio_factory"


def prepare(args: argparse.Namespace, work: Path):
    """Corpus -> windows -> song split -> standardised arrays."""
    from training.dataset import scan_folder
    from training.extract import ExtractionConfig, extract_windows
    from training.pipeline import standardisation
    from training.split import split_windows
    from urdu_genre_app.core.features import FeatureParams

    corpus = work / f"corpus-{args.signals}-{args.songs_per_genre}x{args.song_seconds:g}s-seed{args.seed}"
    started = time.perf_counter()
    source = make_corpus(corpus, args)
    corpus_seconds = time.perf_counter() - started
    params = FeatureParams(window_seconds=args.window_seconds)
    scan = scan_folder(corpus)
    started = time.perf_counter()
    windows = extract_windows(scan.songs, labels=scan.labels, params=params,
                              config=ExtractionConfig(windows_per_song=args.windows_per_song, seed=args.seed),
                              workers=args.workers, cache_dir=work / "features")
    extract_seconds = time.perf_counter() - started
    split = split_windows(windows, seed=args.seed)
    mean, std = standardisation(windows.features, split.train)
    x = (windows.features - mean) / std
    data = (x[split.train], windows.label[split.train], x[split.validation], windows.label[split.validation])
    info = {"source": source, "songs": len(scan.songs), "genres": scan.labels, "split": split.sizes(),
            "corpus_seconds": round(corpus_seconds, 1), "extract_seconds": round(extract_seconds, 1),
            "extracted_songs": windows.stats.extracted, "cached_songs": windows.stats.cached}
    return data, params, info


def run_paper(data, params, args) -> list[dict]:
    """The paper's recipe with plain ``model.fit``; per-epoch wall time and validation accuracy."""
    import keras

    from training.models import build_bn_cnn

    x_train, y_train, x_val, y_val = data
    keras.utils.set_random_seed(args.seed)
    model = build_bn_cnn(params.input_shape, int(y_train.max()) + 1)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history: list[dict] = []

    class Clock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.started = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            history.append({"epoch": epoch + 1, "seconds": now - self.started,
                            "windows_per_second": len(x_train) / (now - self.epoch_started),
                            "val_accuracy": float(logs["val_accuracy"]), "loss": float(logs["loss"])})
            print(f"  paper epoch {epoch + 1:>2}: val_acc {logs['val_accuracy']:.3f} loss {logs['loss']:.4f} "
                  f"{history[-1]['windows_per_second']:.1f} windows/s", flush=True)

    model.fit(x_train[..., None], y_train, batch_size=32, epochs=args.baseline_epochs, shuffle=True,
              validation_data=(x_val[..., None], y_val), callbacks=[Clock()], verbose=0)
    return history


def run_ours(data, params, args, target: float) -> tuple[list[dict], float]:
    """Our default recipe, stopped at the target validation accuracy."""
    import keras

    from training.fit import FitConfig, fit_keras_model
    from training.models import build_bn_cnn
    from training.observer import NullObserver

    class Printer(NullObserver):
        def on_epoch(self, ended):
            epoch, logs = ended.epoch, ended.logs
            print(f"  ours  epoch {epoch:>2}: val_acc {logs['val_accuracy']:.3f} loss {logs['loss']:.4f} "
                  f"{logs['windows_per_second']:.1f} windows/s", flush=True)

    x_train, y_train, x_val, y_val = data
    config = FitConfig(epochs=args.max_epochs, target_accuracy=target, patience=None, seed=args.seed)
    keras.utils.set_random_seed(args.seed)
    model = build_bn_cnn(params.input_shape, int(y_train.max()) + 1, bn_momentum=config.bn_momentum)
    started = time.perf_counter()
    result = fit_keras_model(model, x_train=x_train, y_train=y_train, x_validation=x_val, y_validation=y_val,
                             config=config, observer=Printer())
    total = time.perf_counter() - started  # includes the final BatchNorm re-estimation
    _, final_accuracy = model.evaluate(x_val[..., None], y_val, verbose=0)
    print(f"  ours after BatchNorm re-estimation: val_acc {final_accuracy:.3f}")
    return result.history, total


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-training-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        data, params, info = prepare(args, work)
        print(f"data: {info}", flush=True)
        import keras  # noqa: F401  (imported before either clock starts)

        print(f"paper's recipe: Adam 1e-4, batch 32, {args.baseline_epochs} epochs", flush=True)
        paper = run_paper(data, params, args)
        paper_seconds = paper[-1]["seconds"]
        target = max(h["val_accuracy"] for h in paper)
        paper_to_target = next(h["seconds"] for h in paper if h["val_accuracy"] >= target)
        print(f"ours: FitConfig() defaults, stop at val_acc >= {target:.3f}", flush=True)
        ours, ours_total = run_ours(data, params, args, target)
        reached = [h for h in ours if h["val_accuracy"] >= target]
        ours_to_target = reached[0]["seconds"] if reached else float("nan")

    def rate(history: list[dict]) -> float:
        steady = history[1:] or history  # the first epoch pays tracing
        return float(np.median([h["windows_per_second"] for h in steady]))

    results = {
        "data": info,
        "target_val_accuracy": target,
        "paper_seconds": paper_seconds,
        "paper_seconds_to_best": paper_to_target,
        "ours_seconds_to_target": ours_to_target,
        "ours_seconds_total": ours_total,
        "ours_epochs_to_target": reached[0]["epoch"] if reached else None,
        "ratio_vs_paper_wall_time": ours_to_target / paper_seconds,
        "ratio_vs_paper_time_to_best": ours_to_target / paper_to_target,
        "paper_windows_per_second": rate(paper),
        "ours_windows_per_second": rate(ours),
        "paper_history": paper,
        "ours_history": ours,
    }
    print()
    print(f"target validation accuracy (paper's best): {target:.3f}")
    print(f"paper's recipe: {paper_seconds:.1f} s for {len(paper)} epochs "
          f"(reached its best after {paper_to_target:.1f} s); {results['paper_windows_per_second']:.1f} windows/s")
    if reached:
        print(f"ours: reached it after {ours_to_target:.1f} s ({reached[0]['epoch']:.0f} epochs); "
              f"{results['ours_windows_per_second']:.1f} windows/s")
    else:
        print(f"ours: did NOT reach it in {len(ours)} epochs")
    print(f"ratio ours / paper wall time: {results['ratio_vs_paper_wall_time']:.2f} (goal <= 0.50)")
    print(f"ratio ours / paper time to its best: {results['ratio_vs_paper_time_to_best']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if reached and results["ratio_vs_paper_wall_time"] <= 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
