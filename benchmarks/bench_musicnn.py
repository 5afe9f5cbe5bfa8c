"""What a musicnn bundle costs to classify with, beside the BN-CNN and the paper's way, on this machine.

Run:  .venv/bin/python benchmarks/bench_musicnn.py [--bundle MUSICNN.ugm ...] [--repeats 3]

1. Per 30 s window, in this process: the feature (MFCC at 22,050 Hz for the
   BN-CNN; log-mel at 16 kHz for musicnn) and one LiteRT call (batch 1), median
   of ``--windows`` calls, for the bundled BN-CNN and for musicnn (its
   patches of 3 s through the backbone, then the head; the bundle's
   ``architecture_options.patches_per_window``, 10 for bundles without it).
2. Whole process on the same 5-minute MP3 as ``bench_classify.py``: the
   paper's way (TensorFlow, librosa, 11 windows, 11 predict calls, with the
   bundled BN-CNN) against ``urdu-genre classify`` with the musicnn bundle
   (every window its policy cuts: a window every 90 s for new bundles, 4 in
   five minutes; every 30 s for the first ones, 10),
   and with the bundled BN-CNN for reference, taking turns (one run of each
   per round, ``--repeats`` rounds, medians). Target: musicnn >= 8x faster
   than the paper's way.

Without ``--bundle`` it uses a musicnn bundle with an untrained head and the
default patches a window (``training.musicnn.genre_model.DEFAULT_PATCHES``),
made once in ``benchmarks/_work`` (speed does not depend on the weights).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_classify import WORK, model_bundle, music_like, paper_way_setup, run_timed  # noqa: E402


def untrained_musicnn_bundle() -> Path:
    """A musicnn bundle (pretrained backbone, random head, 4 genres, the default patches a window), made once."""
    from training.musicnn.genre_model import DEFAULT_PATCHES, HOP_WINDOWS

    target = WORK / f"untrained_musicnn_{DEFAULT_PATCHES}_patches_hop{HOP_WINDOWS}.ugm"
    if not target.exists():
        from training.export import export_bundle
        from training.musicnn.genre_model import build_musicnn_classifier, musicnn_feature_params, musicnn_window_policy

        params = musicnn_feature_params()
        print("(making an untrained-head musicnn bundle once; the LiteRT conversion takes a minute)")
        export_bundle(
            build_musicnn_classifier(params.input_shape, 4), target, labels=["Ghazal", "Qawwali", "Hip-hop", "Rock"],
            feature_params=params, feature_mean=np.zeros(96), feature_std=np.ones(96),
            window_policy=musicnn_window_policy(params), architecture="musicnn",
            provenance={"trained_on": "nothing (benchmark)", "name": "untrained musicnn"},
        )
    return target


def per_window_seconds(bundle_path: Path, windows: int) -> tuple[float, float]:
    """Median seconds of the feature and of one LiteRT call for a 30 s window of music."""
    from urdu_genre_app.core.features import window_features
    from urdu_genre_app.core.inference import open_bundle

    bundle, model = open_bundle(bundle_path)
    params = bundle.feature_params
    import soxr

    song = soxr.resample(music_like(40.0), 22_050, params.sample_rate) if params.sample_rate != 22_050 else music_like(40.0)
    window = song[: params.window_samples].astype(np.float32)
    feature_times, model_times = [], []
    features = bundle.normalise(window_features(window, params))
    model.predict(features[None])  # warm-up
    for _ in range(windows):
        started = time.perf_counter()
        features = bundle.normalise(window_features(window, params))
        feature_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        model.predict(features[None])
        model_times.append(time.perf_counter() - started)
    return statistics.median(feature_times), statistics.median(model_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, action="append",
                        help="a musicnn bundle; repeat it to time several in the same rounds (default: an "
                             "untrained-head one)")
    parser.add_argument("--repeats", type=int, default=3, help="timed whole-process runs of each (median)")
    parser.add_argument("--windows", type=int, default=5, help="windows timed per model in step 1")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bn_cnn = model_bundle()
    musicnn_bundles = args.bundle or [untrained_musicnn_bundle()]
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"models: {bn_cnn.name} and {', '.join(p.name for p in musicnn_bundles)}")
    for name, path in (("BN-CNN", bn_cnn), *((p.stem, p) for p in musicnn_bundles)):
        feature, model = per_window_seconds(path, args.windows)
        print(f"per 30 s window, {name}: feature {feature * 1000:7.1f} ms, LiteRT {model * 1000:7.1f} ms")

    song, paper, urdu_genre = paper_way_setup(bn_cnn)
    commands = {"paper's way (TF, librosa, 11 windows, BN-CNN)": paper}
    for path in musicnn_bundles:
        commands[f"urdu-genre classify, {path.stem}"] = [*urdu_genre, "classify", "-q", "--model", str(path),
                                                         str(song)]
    commands["urdu-genre classify, BN-CNN (every window)"] = [*urdu_genre, "classify", "-q", "--model", str(bn_cnn),
                                                              str(song)]
    for command in commands.values():
        run_timed(command)  # warm-up, untimed
    # Round robin (each way once per round): on a shared machine a burst of load then slows all
    # three alike, where timing one way's runs back to back would charge it to one of them.
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.repeats):
        for label, command in commands.items():
            times[label].append(run_timed(command)[0])
    medians = {}
    for label in commands:
        medians[label] = statistics.median(times[label])
        print(f"{label:<48} {medians[label]:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times[label])})")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    paper = medians[next(iter(commands))]
    for label, seconds in medians.items():
        if label != next(iter(commands)):
            verdict = "" if "BN-CNN" in label else f"  (target >= 8x: {'met' if paper / seconds >= 8 else 'NOT met'})"
            print(f"{label}: {paper / seconds:.1f}x the paper's way{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
