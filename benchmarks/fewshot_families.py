"""Which family learns best from a user's few real songs? BN-CNN, musicnn and logistic regression, measured.

Run:  .venv/bin/python benchmarks/fewshot_families.py [--shots 3,5] [--draws 0,1,2] [--families bn_cnn,musicnn,logreg]

Issue 16 item 5: "Default to the family that learns best from few real
songs (measure it)". Real songs only, from the open-music corpus
(:mod:`training.realmusic.corpus`, sha256 checked): three classes, ``Rock``,
``Hip-hop`` and ``Other`` (open-music's other music as a third genre: the
corpus has no ghazal or qawwali).

For each draw (its seed):

* **rock and other**: whole artists are held out
  (:func:`~training.realmusic.corpus.split_by_artist`, ~40 % of each genre's
  songs); the test set is up to ``--test-per-genre`` of their songs, and the
  training songs are drawn from the other artists;
* **hip-hop**: all 6 songs are one artist's (boomboxhead), so it cannot be
  split by artist: one song (a different one each draw) is the test song, the
  other 5 the pool. Its figures are same-artist, and one song.

For each shot count N (nested: the first N of one shuffled pool), every
family is trained by :func:`training.pipeline.run_training` exactly as
``urdu-genre train`` trains a small folder (fewer than 10 songs a genre:
k-fold cross-validation by song for the estimate, then the final model on
all N songs a genre; default recipe, 5 windows a song), the bundle written,
and each test song classified by the app's own
:class:`~urdu_genre_app.core.classifier.Classifier`. A song is *right* when
its verdict names its genre (flagged or not: this measures learning, not the
check).

Prints, per family and N: the balanced accuracy (mean of the three classes'
recall) averaged over draws with each draw's value, the per-class right
counts summed over draws, the cross-validation estimate the run reported
(mean over draws), and the training seconds (the machine is shared: noisy).
``--json`` writes the rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

#: open-music genre -> the label the run trains.
LABELS = {"rock": "Rock", "hiphop": "Hip-hop", "other": "Other"}
#: Fraction of rock's and other's songs whose artists are held out.
HELD_OUT_FRACTION = 0.4
WORK = ROOT / "benchmarks" / "_work" / "fewshot_families"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", default="3,5", help="songs a genre to train on (comma-separated, at most 5)")
    parser.add_argument("--draws", default="0,1,2", help="seeds of the draws (comma-separated)")
    parser.add_argument("--families", default="bn_cnn,musicnn,logreg", help="families to compare")
    parser.add_argument("--test-per-genre", type=int, default=6, help="held-out songs a genre scored, at most")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes")
    parser.add_argument("--work", type=Path, default=WORK, help="manifests, feature cache and bundles")
    parser.add_argument("--root", type=Path, default=None, help="the open-music folder (default: found)")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    return parser.parse_args(argv)


def draw_songs(entries, *, seed: int, max_shots: int, test_per_genre: int):
    """One draw: each class's shuffled training pool (the first N train) and its test songs.

    Returns
    -------
    pools, tests : dict of str -> list of CorpusEntry
    """
    from training.realmusic.corpus import split_by_artist

    rng = np.random.default_rng(seed)
    pools, tests = {}, {}
    for genre in LABELS:
        of_genre = [e for e in entries if e.genre == genre]
        if len({e.artist for e in of_genre}) > 1:
            train, held = split_by_artist(of_genre, held_out_fraction=HELD_OUT_FRACTION, seed=seed)
        else:  # one artist (hip-hop): one song held out, a different one each draw
            order = np.roll(np.arange(len(of_genre)), -seed)
            train, held = order[1:], order[:1]
        pool = [of_genre[i] for i in rng.permutation(train)]
        if len(pool) < max_shots:
            raise SystemExit(f"{genre}: only {len(pool)} training songs in draw {seed}, fewer than {max_shots}")
        pools[genre] = pool
        tests[genre] = [of_genre[i] for i in rng.permutation(held)[:test_per_genre]]
    return pools, tests


def write_manifest(path: Path, songs: dict, shots: int, root) -> Path:
    """A ``path,genre`` CSV of the first ``shots`` songs of each pool."""
    from training.realmusic.corpus import verified_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "genre"])
        for genre, pool in songs.items():
            for entry in pool[:shots]:
                writer.writerow([str(verified_path(entry, root)), LABELS[genre]])
    return path


def train_and_score(family: str, manifest: Path, out: Path, tests: dict, *, seed: int, args) -> dict:
    """Train one family on a manifest (the small-folder path), then classify the test songs."""
    from training.pipeline import TrainingConfig, run_training
    from training.realmusic.corpus import verified_path
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    started = time.perf_counter()
    report = run_training(TrainingConfig(dataset=manifest, out=out, models=(family,), seed=seed,
                                         workers=args.workers, cache_dir=args.work / "cache"))
    seconds = time.perf_counter() - started
    estimate = report.cross_validation
    classifier = Classifier(load_bundle(out, with_keras=False))
    right = {}
    for genre, songs in tests.items():
        verdicts = [classifier.classify_file(verified_path(e, args.root)).genre for e in songs]
        right[genre] = (sum(v == LABELS[genre] for v in verdicts), len(songs))
    return {"right": right, "seconds": seconds,
            "estimate": None if estimate is None else estimate.accuracy,
            "balanced": float(np.mean([r / n for r, n in right.values()]))}


def main(argv=None) -> int:
    args = parse_args(argv)
    from training.realmusic.corpus import read_manifest

    shots = [int(s) for s in args.shots.split(",")]
    draws = [int(s) for s in args.draws.split(",")]
    families = args.families.split(",")
    entries = read_manifest(genres=tuple(LABELS))
    rows = []
    for seed in draws:
        pools, tests = draw_songs(entries, seed=seed, max_shots=max(shots), test_per_genre=args.test_per_genre)
        print(f"draw {seed}: test songs " + ", ".join(f"{LABELS[g]} {len(t)}" for g, t in tests.items()),
              flush=True)
        for n in shots:
            manifest = write_manifest(args.work / f"draw{seed}" / f"n{n}.csv", pools, n, args.root)
            for family in families:
                row = train_and_score(family, manifest, args.work / f"draw{seed}" / f"{family}_n{n}.ugm", tests,
                                      seed=seed, args=args)
                row.update(family=family, shots=n, draw=seed)
                rows.append(row)
                counts = " ".join(f"{LABELS[g]} {r}/{t}" for g, (r, t) in row["right"].items())
                print(f"  {family:8s} N={n}: balanced {row['balanced']:.0%} ({counts}); estimate "
                      f"{row['estimate'] if row['estimate'] is None else format(row['estimate'], '.0%')}; "
                      f"{row['seconds']:.0f} s", flush=True)
    print()
    print(f"{'family':8s} {'N':>2s}  {'balanced acc (mean)':>19s}  per draw          "
          f"{'Rock':>6s} {'Hip-hop':>7s} {'Other':>6s}  {'CV est.':>7s}  {'train s':>7s}")
    for family in families:
        for n in shots:
            mine = [r for r in rows if r["family"] == family and r["shots"] == n]
            summed = {g: (sum(r["right"][g][0] for r in mine), sum(r["right"][g][1] for r in mine)) for g in LABELS}
            estimates = [r["estimate"] for r in mine if r["estimate"] is not None]
            print(f"{family:8s} {n:2d}  {np.mean([r['balanced'] for r in mine]):19.0%}  "
                  f"{' '.join(format(r['balanced'], '.0%') for r in mine):17s} "
                  + " ".join(f"{f'{summed[g][0]}/{summed[g][1]}':>{w}s}" for g, w in zip(LABELS, (6, 7, 6)))
                  + f"  {format(np.mean(estimates), '.0%') if estimates else '-':>7s}"
                  f"  {np.mean([r['seconds'] for r in mine]):7.0f}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
