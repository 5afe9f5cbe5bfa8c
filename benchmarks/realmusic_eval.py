"""A bundle on open-music's real songs, through the app's own classifier: per genre right, flagged, confidently wrong.

Run:  .venv/bin/python benchmarks/realmusic_eval.py MODEL.ugm [MODEL2.ugm ...] [--root ../shared/open-music]

Every rock, hip-hop and other-music file of ``training/realmusic/open_music.tsv``
(sha256 checked) is classified by :class:`~urdu_genre_app.core.classifier.Classifier`
exactly as ``urdu-genre classify`` does. A genre song is *right* when its
verdict names its genre and is not flagged; *flagged* is "not one of the
genres" (the bundle's novelty check) or *uncertain*; *confidently wrong* is a
wrong genre, not flagged. Other music should be flagged.

For the bundled BN-CNN and musicnn these songs are all unseen. The
``musicnn_tags`` bundle trained on them, so its row here only checks that
the app agrees with the leave-artist-out emulation
(``python -m training.realmusic.build evaluate``), which is its real figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: open-music genre -> the bundles' label.
GENRE_LABEL = {"rock": "Rock", "hiphop": "Hip-hop"}


def evaluate(model: Path, root: Path | None) -> dict:
    """Counts per open-music genre for one bundle."""
    from training.realmusic.corpus import MUSIC_GENRES, read_manifest, verified_path
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    classifier = Classifier(load_bundle(model, with_keras=False))
    table: dict[str, dict] = {}
    for entry in read_manifest(genres=MUSIC_GENRES):
        result = classifier.classify_file(verified_path(entry, root))
        flagged = bool(result.unknown) or result.uncertain
        row = table.setdefault(entry.genre, {"songs": 0, "right": 0, "named_right": 0, "flagged": 0, "unknown": 0,
                                             "confidently_wrong": 0, "called": {}})
        row["songs"] += 1
        row["flagged"] += flagged
        row["unknown"] += bool(result.unknown)
        row["called"][result.genre] = row["called"].get(result.genre, 0) + 1
        wanted = GENRE_LABEL.get(entry.genre)
        if wanted is None:
            row["confidently_wrong"] += not flagged
            continue
        row["named_right"] += result.genre == wanted
        row["right"] += result.genre == wanted and not flagged
        row["confidently_wrong"] += result.genre != wanted and not flagged
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, default=None, help="the corpus folder (default: training.realmusic.corpus_root())")
    args = parser.parse_args(argv)
    print("| model | genre | songs | named right | right, not flagged | flagged | not-a-genre | confidently wrong | called |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for model in args.models:
        for genre, row in evaluate(model, args.root).items():
            print(f"| {model.name} | {genre} | {row['songs']} | {row['named_right']} | {row['right']} | {row['flagged']} | "
                  f"{row['unknown']} | {row['confidently_wrong']} | {row['called']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
