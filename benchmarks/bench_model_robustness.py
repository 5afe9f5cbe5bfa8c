"""How a model does on songs it was not built from.

The bundled model learned from the project's own synthetic corpus, so its
test accuracy says little about music made by other means. This benchmark
classifies songs from an *independent* generator
(``benchmarks/independent_songs.py``, written without reference to the
project's generator) or any labeled folder, and reports song-level accuracy,
per-genre accuracy, a confusion matrix and how many verdicts were flagged
uncertain.

Run::

    .venv/bin/python benchmarks/bench_model_robustness.py [--model BUNDLE]
        [--per-genre 8] [--seconds 90-150] [--seed 424242] [--format mp3]
    .venv/bin/python benchmarks/bench_model_robustness.py --dataset DIR [--model BUNDLE]

Without ``--dataset`` the independent set is generated once into
``benchmarks/_work/independent/`` (reused while its parameters match).
A dataset folder holds one sub-folder per genre, named like the model's
labels (case, spaces and hyphens ignored). A song that cannot be classified
counts as wrong and is listed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

WORK = ROOT / "benchmarks" / "_work" / "independent"
NONE_COLUMN = "(none)"
log = logging.getLogger("bench_model_robustness")


@dataclass(frozen=True)
class SongOutcome:
    """One song's truth and verdict.

    A song without a verdict (``predicted`` None) counts as wrong in
    :func:`summarize` and is listed with its ``error``.

    Attributes
    ----------
    path : str
        The file.
    true : str
        Its genre (the model's label spelling).
    predicted : str or None
        The verdict; None when the song is silent or could not be classified.
    uncertain : bool
        The classifier flagged the verdict as uncertain.
    confidence : float
        Mean probability of the verdict.
    error : str
        Why there is no verdict, if there is none.
    """

    path: str
    true: str
    predicted: str | None
    uncertain: bool = False
    confidence: float = 0.0
    error: str = ""


def _key(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def scan_dataset(folder: str | Path, labels: list[str]) -> list[tuple[Path, str]]:
    """Audio files of a labeled folder, with their genres.

    Parameters
    ----------
    folder : str or Path
        Holds one sub-folder per genre.
    labels : list of str
        The model's labels; sub-folders are matched to them ignoring case,
        spaces and punctuation. Other sub-folders are skipped with a warning.

    Returns
    -------
    list of (Path, str)
        Each file and its label, sorted by label then path.
    """
    from urdu_genre_app.core.audio_io import is_audio_path

    by_key = {_key(label): label for label in labels}
    items = []
    for sub in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        label = by_key.get(_key(sub.name))
        if label is None:
            log.warning("skipping %s: not one of the model's labels %s", sub, labels)
            continue
        items += [(p, label) for p in sorted(sub.rglob("*")) if p.is_file() and is_audio_path(p)]
    return items


def evaluate(items: list[tuple[Path, str]], classify: Callable[[Path], Any]) -> list[SongOutcome]:
    """Classify each song.

    Parameters
    ----------
    items : list of (Path, str)
        Files and their true labels.
    classify : callable
        ``classify(path)`` returns an object with ``genre`` (str or None),
        ``uncertain`` (bool) and ``confidence`` (float), e.g. a
        :class:`~urdu_genre_app.core.results.SongResult`. Exceptions are
        recorded as errors, not raised.

    Returns
    -------
    list of SongOutcome
    """
    outcomes = []
    for path, true in items:
        began = time.perf_counter()
        try:
            result = classify(path)
            outcome = SongOutcome(str(path), true, result.genre, bool(result.uncertain), float(result.confidence),
                                  "" if result.genre else "silent")
        except Exception as error:  # one bad file must not end the benchmark
            outcome = SongOutcome(str(path), true, None, error=f"{type(error).__name__}: {error}")
        log.info("%s: %s -> %s%s (%.0f%%, %.1f s)", true, Path(path).name, outcome.predicted or outcome.error,
                 " [uncertain]" if outcome.uncertain else "", 100 * outcome.confidence, time.perf_counter() - began)
        outcomes.append(outcome)
    return outcomes


def summarize(outcomes: list[SongOutcome], labels: list[str]) -> dict[str, Any]:
    """Accuracy, per-genre accuracy, confusion matrix and flag counts.

    Parameters
    ----------
    outcomes : list of SongOutcome
    labels : list of str
        Row and column order of the confusion matrix.

    Returns
    -------
    dict
        ``correct``, ``total``, ``accuracy`` (0..1, songs without a verdict
        count as wrong), ``per_genre`` {label: (correct, total)},
        ``columns`` (labels, plus ``"(none)"`` when some song got no verdict),
        ``confusion`` (rows true, columns predicted, as lists of counts),
        ``uncertain``, ``uncertain_correct`` and ``errors`` [(path, reason)].
    """
    unknown = sorted({o.predicted for o in outcomes if o.predicted is not None and o.predicted not in labels})
    columns = list(labels) + unknown + ([NONE_COLUMN] if any(o.predicted is None for o in outcomes) else [])
    confusion = [[0] * len(columns) for _ in labels]
    for o in outcomes:
        confusion[labels.index(o.true)][columns.index(NONE_COLUMN if o.predicted is None else o.predicted)] += 1
    correct = sum(o.predicted == o.true for o in outcomes)
    per_genre = {label: (sum(o.predicted == o.true for o in outcomes if o.true == label),
                         sum(o.true == label for o in outcomes)) for label in labels}
    return {
        "correct": correct,
        "total": len(outcomes),
        "accuracy": correct / len(outcomes) if outcomes else 0.0,
        "per_genre": per_genre,
        "columns": columns,
        "confusion": confusion,
        "uncertain": sum(o.uncertain for o in outcomes),
        "uncertain_correct": sum(o.uncertain and o.predicted == o.true for o in outcomes),
        "errors": [(o.path, o.error) for o in outcomes if o.predicted is None],
    }


def format_report(summary: dict[str, Any], labels: list[str]) -> str:
    """The summary as text: accuracy line, per-genre lines, confusion matrix, flags."""
    k, n = summary["correct"], summary["total"]
    lines = [f"accuracy: {100 * summary['accuracy']:.1f}% ({k}/{n} songs)", "", "per genre:"]
    for label in labels:
        gk, gn = summary["per_genre"][label]
        lines.append(f"  {label:<10} {100 * gk / gn if gn else 0:5.1f}% ({gk}/{gn})")
    columns = summary["columns"]
    width = max(8, *(len(c) + 1 for c in columns))
    lines += ["", "confusion matrix (rows: true, columns: predicted):",
              " " * 12 + "".join(f"{c:>{width}}" for c in columns)]
    for label, row in zip(labels, summary["confusion"]):
        lines.append(f"  {label:<10}" + "".join(f"{v:>{width}}" for v in row))
    lines += ["", f"flagged uncertain: {summary['uncertain']} of {n} songs "
                  f"({summary['uncertain_correct']} of them correct)"]
    if summary["errors"]:
        lines.append(f"no verdict: {len(summary['errors'])} songs")
        lines += [f"  {path}: {reason}" for path, reason in summary["errors"]]
    return "\n".join(lines)


def ensure_independent_set(folder: Path, per_genre: int, seed: int, seconds: tuple[float, float],
                           fmt: str, *, regenerate: bool = False) -> Path:
    """Generate the independent set into ``folder``, or reuse it when its parameters match.

    Returns
    -------
    Path
        ``folder``, holding ``<Genre>/<n>.<fmt>`` and ``manifest.json``.
    """
    import independent_songs

    wanted = {"generator": "benchmarks/independent_songs.py", "per_genre": per_genre, "seed": seed,
              "seconds": list(seconds), "format": fmt}
    manifest = folder / "manifest.json"
    expected = [folder / g / f"{i:03d}.{fmt}" for g in independent_songs.GENRES for i in range(per_genre)]
    if not regenerate and manifest.exists() and json.loads(manifest.read_text()) == wanted \
            and all(p.exists() for p in expected):
        log.info("reusing the independent set in %s", folder)
        return folder
    manifest.unlink(missing_ok=True)
    for g in independent_songs.GENRES:  # stale songs of an earlier run must not be scored
        for old in (folder / g).glob("*.*") if (folder / g).is_dir() else []:
            old.unlink()
    began = time.perf_counter()
    independent_songs.write_corpus(folder, per_genre, seed, seconds, (fmt,))
    manifest.write_text(json.dumps(wanted, indent=1))
    log.info("generated %d songs in %.0f s", len(expected), time.perf_counter() - began)
    return folder


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring. Returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model bundle (.ugm); default: the bundled model")
    parser.add_argument("--dataset", help="evaluate this folder (one sub-folder per genre) instead")
    parser.add_argument("--per-genre", type=int, default=8)
    parser.add_argument("--seconds", default="90-150", help="A-B: song lengths of the generated set")
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--format", default="mp3", choices=("mp3", "wav", "flac"))
    parser.add_argument("--work", default=str(WORK),
                        help="where the generated set lives (its genre folders are emptied before generating)")
    parser.add_argument("--regenerate", action="store_true", help="generate the set even if it exists")
    parser.add_argument("--quiet", action="store_true", help="no per-song lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")

    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.resources import bundled_model_path

    model = Path(args.model) if args.model else bundled_model_path()
    if not model.exists():
        parser.error(f"no model bundle at {model} (pass --model)")
    bundle = load_bundle(model)
    classifier = Classifier(bundle)
    labels = list(bundle.labels)
    if args.dataset:
        dataset = Path(args.dataset)
    else:
        lo, _, hi = args.seconds.partition("-")
        dataset = ensure_independent_set(Path(args.work), args.per_genre, args.seed, (float(lo), float(hi or lo)),
                                         args.format, regenerate=args.regenerate)
    items = scan_dataset(dataset, labels)
    if not items:
        parser.error(f"no audio files under {dataset} in sub-folders named like {labels}")
    began = time.perf_counter()
    outcomes = evaluate(items, classifier.classify_file)
    print(f"model: {model} ({bundle.display_name})")
    print(f"songs: {dataset} ({len(items)} files, classified in {time.perf_counter() - began:.0f} s)")
    print(format_report(summarize(outcomes, labels), labels))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
