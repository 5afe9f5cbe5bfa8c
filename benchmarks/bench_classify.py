"""Classify speed and memory, side by side with the paper's way, on this machine.

Run:  .venv/bin/python benchmarks/bench_classify.py [--repeats 3] [--long-hours 3]

1. *Paper's way*, as a whole process: import TensorFlow, ``librosa.load`` a
   5-minute MP3, 11 random 30 s windows, one Keras ``predict`` call each,
   majority vote.
2. *Ours*, as a whole process: ``urdu-genre classify`` on the same file,
   scoring every window (15 s hop: 19 windows), LiteRT, no TensorFlow.

Prints the median wall time of each (after one untimed warm-up run of each,
so disk caches and numba's on-disk cache are warm for both) and the ratio
(target: at least 8x). Then classifies a long file (3 hours by default) and
prints the peak resident memory of that process (target: under 500 MB).

The model is the bundled one when present, else an untrained BN-CNN of the
same shape (speed does not depend on the weights).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "_work"
SR = 22_050

#: The paper's way of classifying one song, as source text for a process of the paper's stack: librosa
#: decodes it, 11 random 30 s windows -> MFCC -> the Keras model, the majority vote. Both the one-song
#: script below and bench_library's warm loop run this one copy.
PAPER_VOTE = r"""
import numpy as np
import tensorflow as tf  # noqa: F401  (the paper's stack)
import keras
import librosa


def paper_vote(song, model, stats):
    y, sr = librosa.load(song, sr=22050)
    rng = np.random.default_rng(0)
    votes = []
    for _ in range(11):
        start = int(rng.integers(0, len(y) - 661500))
        m = librosa.feature.mfcc(y=y[start:start + 661500], sr=sr, n_mfcc=32, n_fft=2048, hop_length=512).T
        m = (m - stats[0]) / stats[1]
        votes.append(int(np.argmax(model.predict(m[None, ..., None], verbose=0))))
    return max(set(votes), key=votes.count)
"""

#: One song the paper's way, in a fresh process: ``python -c PAPER_WAY SONG KERAS_MODEL MEAN_STD``.
PAPER_WAY = PAPER_VOTE + r"""
import sys
song, keras_path, mean_path = sys.argv[1:4]
model = keras.models.load_model(keras_path, compile=False)
print(paper_vote(song, model, np.load(mean_path)))
"""


def music_like(seconds: float, seed: int = 0) -> np.ndarray:
    """A song from the synthetic generator when it is installed, else tones and beats."""
    try:
        from training.synth import generate_song

        return generate_song("Qawwali", seed, duration_seconds=seconds)
    except ImportError:
        rng = np.random.default_rng(seed)
        t = np.arange(int(seconds * SR)) / SR
        notes = np.repeat(rng.uniform(110, 440, int(seconds * 2) + 2), SR // 2)[: t.size]
        tone = sum(np.sin(2 * np.pi * k * np.cumsum(notes) / SR) / k for k in range(1, 6))
        beats = (np.sin(2 * np.pi * 2 * t) > 0.97) * rng.standard_normal(t.size)
        return (0.15 * tone + 0.4 * beats).astype(np.float32)


def encode_mp3(path: Path, chunks, rate: int = 44_100) -> Path:
    """Stream 22,050 Hz mono chunks into a 44.1 kHz stereo MP3, as users have (bounded memory)."""
    import av
    import soxr

    resampler = soxr.ResampleStream(SR, rate, 1, dtype="float32")
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate)
        stream.layout = "stereo"
        pts = 0
        for chunk in chunks:
            upsampled = resampler.resample_chunk(np.asarray(chunk, dtype=np.float32))
            for start in range(0, upsampled.size, 1152 * 64):
                piece = upsampled[start : start + 1152 * 64]
                planar = np.ascontiguousarray(np.stack([piece * 0.9, piece]), dtype=np.float32)
                frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = rate, pts
                pts += planar.shape[1]
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def model_bundle() -> Path:
    """The shipped BN-CNN (the paper's model), or an untrained BN-CNN bundle made once in the work folder."""
    from urdu_genre_app.resources import paper_model_path

    bundled = paper_model_path()
    if bundled.exists():
        return bundled
    target = WORK / "untrained_bn_cnn.ugm"
    if not target.exists():
        from training.export import export_bundle
        from training.models import build_bn_cnn
        from urdu_genre_app.core.features import FeatureParams

        print("(no bundled model yet: using an untrained BN-CNN of the same shape)")
        export_bundle(build_bn_cnn((1292, 32, 1), 4), target, labels=["Ghazal", "Qawwali", "Hip-hop", "Rock"],
                      feature_params=FeatureParams(), feature_mean=np.zeros(32), feature_std=np.ones(32),
                      provenance={"trained_on": "nothing (benchmark)", "name": "untrained"})
    return target


def run_timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process.

    The peak is the child's own ``VmHWM``, polled from /proc while it runs:
    ``wait4``'s ``ru_maxrss`` would also count the moment between fork and
    exec, when the child is still a copy of this (large) benchmark process.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    status_file = Path(f"/proc/{process.pid}/status")
    peak_kb = 0
    while process.poll() is None:
        try:
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(command)}\n{stderr[-2000:]}")
    return elapsed, peak_kb / 1024


def paper_way_setup(bundle_path: Path) -> tuple[Path, list[str], list[str]]:
    """The 5-minute MP3, the paper's-way command on it (with ``bundle_path``'s BN-CNN) and the ``urdu-genre`` command.

    Writes the bundle's Keras model and normalisation under ``WORK`` for the
    paper's script, and the song when it is not there yet.
    """
    from urdu_genre_app.core.bundle import load_bundle

    bundle = load_bundle(bundle_path)
    keras_path, stats_path = WORK / "model.keras", WORK / "stats.npy"
    keras_path.write_bytes(bundle.keras_model)
    np.save(stats_path, np.stack([bundle.feature_mean, bundle.feature_std]))
    song = WORK / "five_minutes_44k_stereo.mp3"
    if not song.exists():
        encode_mp3(song, [music_like(300.0)])
    python = sys.executable
    urdu_genre = [str(Path(python).with_name("urdu-genre"))]
    if not Path(urdu_genre[0]).exists():
        urdu_genre = [python, "-m", "urdu_genre_app"]
    return song, [python, "-c", PAPER_WAY, str(song), str(keras_path), str(stats_path)], urdu_genre


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each way (median reported)")
    parser.add_argument("--long-hours", type=float, default=3.0, help="length of the memory test file; 0 skips it")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bundle_path = model_bundle()
    song, paper, urdu_genre = paper_way_setup(bundle_path)
    ours = [*urdu_genre, "classify", "-q", "--model", str(bundle_path), str(song)]

    print(f"machine: {os.cpu_count()} CPUs; model: {bundle_path.name}; song: 5:00 MP3, 44.1 kHz stereo")
    run_timed(paper), run_timed(ours)  # warm-up, untimed
    paper_times = [run_timed(paper)[0] for _ in range(args.repeats)]
    our_times = [run_timed(ours)[0] for _ in range(args.repeats)]
    paper_median, our_median = statistics.median(paper_times), statistics.median(our_times)
    print(f"paper's way (TF, librosa, 11 windows, 11 predict calls): {paper_median:6.2f} s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in paper_times)})")
    print(f"urdu-genre classify (LiteRT, all 19 windows):              {our_median:6.2f} s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in our_times)})")
    ratio = paper_median / our_median
    print(f"speed-up: {ratio:.1f}x  (target >= 8x: {'met' if ratio >= 8 else 'NOT met'})")

    if args.long_hours > 0:
        long_song = WORK / f"long_{args.long_hours:g}h_44k_stereo.mp3"
        if not long_song.exists():
            print(f"(encoding a {args.long_hours:g}-hour MP3 once; takes a minute or two)")
            piece = music_like(600.0, seed=1)
            repeats = int(np.ceil(args.long_hours * 3600 / 600))
            encode_mp3(long_song, (piece for _ in range(repeats)))
        elapsed, peak_mb = run_timed([*urdu_genre, "classify", "-q", "--model", str(bundle_path), str(long_song)])
        print(f"{args.long_hours:g}-hour MP3: classified in {elapsed:.1f} s, peak memory {peak_mb:.0f} MB "
              f"(target < 500 MB: {'met' if peak_mb < 500 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
