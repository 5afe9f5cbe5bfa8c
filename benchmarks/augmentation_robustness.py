"""Does augmentation help on songs made by other means? A small, reproducible experiment.

Run:  .venv/bin/python benchmarks/augmentation_robustness.py [--songs-per-genre 8] [--epochs 15] [--work DIR]

An experiment, not part of the app: it lives with the benchmarks, outside the packages.

The bundled model is trained on the synthetic corpus (:mod:`training.synth`)
but will meet songs made otherwise. This experiment trains the BN-CNN on one
synthetic corpus with each augmentation setting and scores it on

* ``in-dist``: held-out songs of the training corpus (the song split's test side);
* ``new-seed``: a second corpus from another seed (new songs, same generator);
* shifted copies of ``new-seed`` through perturbations that the augmentation
  does NOT contain, or contains only in milder form -- so a gain there is
  robustness, not memorised augmentation:

  ``clipped`` (+12 dB then hard clipping), ``fast`` (12 % faster and higher,
  beyond the +-6 % tempo augmentation), ``lofi`` (8 kHz, 8-bit), ``mp3-32k``
  (below the 48 kbit/s augmentation minimum), ``hall`` (2.5 s reverb, very
  wet), ``hum+noise`` (50 Hz hum and pink noise at 5 dB SNR).

Settings compared: ``none``; ``wave`` (waveform augmentation, ``--copies``
copies a window); ``spec`` (SpecAugment at fit time); ``wave+spec``.

Everything is seeded; corpora and features are cached under ``--work``.
It costs roughly (settings x a small training run); keep it small on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from urdu_genre_app.core.audio_io import load_audio  # noqa: E402
from urdu_genre_app.core.features import SAMPLE_RATE, FeatureParams  # noqa: E402

log = logging.getLogger(__name__)

#: Settings the experiment can compare.
SETTINGS = ("none", "wave", "spec", "wave+spec")
#: Held-out perturbations applied to the second corpus.
SHIFTS = ("clipped", "fast", "lofi", "mp3-32k", "hall", "hum+noise")


def shift_song(signal: np.ndarray, kind: str, *, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One held-out perturbation of a whole song (see the module docstring).

    Parameters
    ----------
    signal : numpy.ndarray, shape (n,), float32
        The song at ``sample_rate``.
    kind : str
        One of :data:`SHIFTS`.
    rng : numpy.random.Generator
        Noise source (``hum+noise``, ``hall``).

    Returns
    -------
    numpy.ndarray, shape (m,), float32
    """
    import soxr

    from training.augment import WaveAugmentConfig, _mp3_round_trip, _room_impulse

    y = np.asarray(signal, dtype=np.float32)
    peak = float(np.abs(y).max()) or 1.0
    if kind == "clipped":
        out = np.clip(y / peak * 4.0, -1.0, 1.0)
    elif kind == "fast":
        out = soxr.resample(y, sample_rate * 1.12, sample_rate, quality="HQ")
    elif kind == "lofi":
        low = soxr.resample(y / peak * 0.9, sample_rate, 8_000, quality="HQ")
        low = np.round(low * 127.0) / 127.0
        out = soxr.resample(low.astype(np.float32), 8_000, sample_rate, quality="HQ")
    elif kind == "mp3-32k":
        out = _mp3_round_trip(y / peak * 0.9, sample_rate=sample_rate, bitrate=32_000)
    elif kind == "hall":
        from scipy.signal import fftconvolve

        impulse = _room_impulse(rng, WaveAugmentConfig(reverb_rt60=(2.5, 2.5)), sample_rate)
        out = y + 0.8 * fftconvolve(y, impulse, mode="full")[: y.size]
    elif kind == "hum+noise":
        t = np.arange(y.size) / sample_rate
        hum = sum(np.sin(2 * np.pi * 50.0 * k * t) / k for k in (1, 2, 3))
        noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(y.size)) / np.sqrt(np.maximum(np.fft.rfftfreq(y.size, 1 / sample_rate), 20.0)), n=y.size)
        disturbance = hum / np.sqrt(np.mean(hum**2)) + noise / np.sqrt(np.mean(noise**2))
        level = np.sqrt(np.mean(y.astype(np.float64) ** 2)) * 10 ** (-5.0 / 20)
        out = y + level * disturbance / np.sqrt(2.0)
    else:
        raise ValueError(f"unknown shift {kind!r}; choose from {SHIFTS}")
    return np.asarray(out, dtype=np.float32)


def _write_shifted(clean_root: Path, kind: str, out_root: Path, seed: int) -> Path:
    import soundfile as sf

    for path in sorted(clean_root.rglob("*.wav")):
        target = out_root / path.relative_to(clean_root)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng([seed, zlib.crc32(path.name.encode())])
        shifted = shift_song(load_audio(path), kind, rng=rng)
        temp = target.with_suffix(".tmp.wav")
        sf.write(temp, np.clip(shifted, -1.0, 1.0), SAMPLE_RATE)
        os.replace(temp, target)
    return out_root


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/augmentation_robustness.py",
                                     description="Which augmentation helps on songs made by other means?")
    parser.add_argument("--songs-per-genre", type=int, default=8, help="training corpus songs per genre (default 8)")
    parser.add_argument("--test-songs-per-genre", type=int, default=4, help="second corpus songs per genre (default 4)")
    parser.add_argument("--song-seconds", type=float, default=60.0, help="song length in s (default 60)")
    parser.add_argument("--window-seconds", type=float, default=30.0, help="window length in s (default 30)")
    parser.add_argument("--epochs", type=int, default=15, help="most epochs per run (default 15)")
    parser.add_argument("--copies", type=int, default=2, help="augmented copies per window for 'wave' (default 2)")
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"comma-separated subset of {','.join(SETTINGS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--work", type=Path, default=Path(".cache") / "robustness", help="corpora and feature cache")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the experiment and print song- and window-level accuracy per setting and test set."""
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
    from training.synth import generate_corpus

    settings = [s for s in args.settings.split(",") if s]
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        print(f"unknown settings {sorted(unknown)}", file=sys.stderr)
        return 2
    work = args.work
    params = FeatureParams(window_seconds=args.window_seconds)
    span = (args.song_seconds, args.song_seconds)
    train_root = work / f"train-{args.songs_per_genre}x{args.song_seconds:g}-seed{args.seed}"
    test_root = work / f"test-{args.test_songs_per_genre}x{args.song_seconds:g}-seed{args.seed + 1000}"
    started = time.perf_counter()
    generate_corpus(train_root, songs_per_genre=args.songs_per_genre, seed=args.seed, duration_range=span,
                    workers=args.workers or os.cpu_count() or 1)
    generate_corpus(test_root, songs_per_genre=args.test_songs_per_genre, seed=args.seed + 1000, duration_range=span,
                    workers=args.workers or os.cpu_count() or 1)
    test_sets = {"new-seed": test_root}
    for kind in SHIFTS:
        test_sets[kind] = _write_shifted(test_root, kind, work / f"{test_root.name}-{kind}", args.seed)
    print(f"corpora ready in {time.perf_counter() - started:.0f} s", flush=True)

    cache = work / "features"
    train_scan = scan_folder(train_root)
    labels = train_scan.labels
    plain = ExtractionConfig(seed=args.seed)
    test_windows = {}
    for name, root in test_sets.items():
        scan = scan_folder(root)
        test_windows[name] = extract_windows(scan.songs, labels=labels, params=params, config=plain,
                                             workers=args.workers, cache_dir=cache)

    rows = []
    for setting in settings:
        copies = args.copies if "wave" in setting else 0
        extraction = dataclasses.replace(plain, augment=WaveAugmentConfig(copies=copies))
        t0 = time.perf_counter()
        windows = extract_windows(train_scan.songs, labels=labels, params=params, config=extraction,
                                  workers=args.workers, cache_dir=cache)
        split = split_windows(windows, seed=args.seed)
        clean_train = split.train[windows.copy[split.train] == 0]
        mean, std = standardisation(windows.features, clean_train)
        x = (windows.features - mean) / std
        fit = FitConfig(epochs=args.epochs, seed=args.seed, spec_augment=SpecAugmentConfig(enabled="spec" in setting))
        model = build_bn_cnn(params.input_shape, len(labels), bn_momentum=fit.bn_momentum)
        result = fit_keras_model(model, x_train=x[split.train], y_train=windows.label[split.train],
                                 x_validation=x[split.validation], y_validation=windows.label[split.validation],
                                 config=fit, observer=NullObserver())
        scores = {}
        probabilities = model.predict(x[split.test][..., None], verbose=0)
        scores["in-dist"] = evaluate_probabilities(probabilities, y_true=windows.label[split.test],
                                                   songs=windows.song[split.test], labels=labels)
        for name, tw in test_windows.items():
            probabilities = model.predict(((tw.features - mean) / std)[..., None], verbose=0)
            scores[name] = evaluate_probabilities(probabilities, y_true=tw.label, songs=tw.song, labels=labels)
        seconds = time.perf_counter() - t0
        rows.append((setting, scores, seconds, len(result.history)))
        print(f"{setting}: {len(result.history)} epochs, {seconds:.0f} s; "
              + ", ".join(f"{k} {v.song_accuracy:.0%}/{v.window_accuracy:.0%}" for k, v in scores.items()), flush=True)

    names = ["in-dist", *test_sets]
    print("\nsong accuracy / window accuracy (BN-CNN)")
    print(f"{'setting':<10} " + " ".join(f"{n:>12}" for n in names) + f" {'mean win':>9} {'train s':>8}")
    for setting, scores, seconds, _ in rows:
        cells = " ".join(f"{scores[n].song_accuracy:>5.0%}/{scores[n].window_accuracy:<5.0%}".rjust(12) for n in names)
        mean_window = np.mean([scores[n].window_accuracy for n in names[1:]])
        print(f"{setting:<10} {cells} {mean_window:>9.1%} {seconds:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
