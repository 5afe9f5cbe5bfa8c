"""A bundle on open-music's real songs, through the app's own classifier: per genre right, flagged, confidently wrong.

Run:  .venv/bin/python benchmarks/realmusic_eval.py MODEL.ugm [MODEL2.ugm ...] [--root ../shared/open-music]
          [--manifest HELD_OUT.tsv] [--synthetic LABELLED_DIR]

Every rock, hip-hop and other-music file of ``training/realmusic/open_music.tsv``
(or of ``--manifest``: e.g. the held-out artists' ``held-out.tsv`` that
``python -m training.realmusic.mixed`` writes; sha256 checked) is classified by
:class:`~urdu_genre_app.core.classifier.Classifier` exactly as ``urdu-genre
classify`` does. A genre song is *right* when its verdict names its genre and
is not flagged; *flagged* is "not one of the genres" (the bundle's novelty
check) or *uncertain*; *confidently wrong* is a wrong genre, not flagged.
Other music should be flagged. ``--synthetic`` adds a labelled folder (one
sub-folder per genre, e.g. songs of a generator the bundle never trained on),
scored the same way, one row per genre.

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


def _count(table: dict, key: str, wanted: str | None, result) -> None:
    """Add one verdict to ``table[key]``; ``wanted`` is the right label, None for other music."""
    flagged = bool(result.unknown) or result.uncertain
    row = table.setdefault(key, {"songs": 0, "right": 0, "named_right": 0, "flagged": 0, "unknown": 0,
                                 "confidently_wrong": 0, "called": {}})
    row["songs"] += 1
    row["flagged"] += flagged
    row["unknown"] += bool(result.unknown)
    row["called"][result.genre] = row["called"].get(result.genre, 0) + 1
    if wanted is None:
        row["confidently_wrong"] += not flagged
        return
    row["named_right"] += result.genre == wanted
    row["right"] += result.genre == wanted and not flagged
    row["confidently_wrong"] += result.genre != wanted and not flagged


def evaluate(model: Path, root: Path | None, manifest: Path | None = None, synthetic: Path | None = None) -> dict:
    """Counts per open-music genre (and per ``synthetic`` genre, keyed ``synthetic:Genre``) for one bundle."""
    from training.realmusic.corpus import MUSIC_GENRES, read_manifest, verified_path
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    classifier = Classifier(load_bundle(model, with_keras=False))
    table: dict[str, dict] = {}
    for entry in read_manifest(manifest, genres=MUSIC_GENRES):
        result = classifier.classify_file(verified_path(entry, root))
        _count(table, entry.genre, GENRE_LABEL.get(entry.genre), result)
    if synthetic is not None:
        from training.dataset import scan_folder

        for song in scan_folder(synthetic).songs:
            _count(table, f"synthetic:{song.genre}", song.genre, classifier.classify_file(song.path))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--root", type=Path, default=None, help="the corpus folder (default: training.realmusic.corpus_root())")
    parser.add_argument("--manifest", type=Path, default=None,
                        help="a corpus manifest of the songs to score (default: the whole open_music.tsv)")
    parser.add_argument("--synthetic", type=Path, default=None, help="also score this labelled folder")
    args = parser.parse_args(argv)
    print("| model | genre | songs | named right | right, not flagged | flagged | not-a-genre | confidently wrong | called |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for model in args.models:
        for genre, row in evaluate(model, args.root, args.manifest, args.synthetic).items():
            print(f"| {model.name} | {genre} | {row['songs']} | {row['named_right']} | {row['right']} | {row['flagged']} | "
                  f"{row['unknown']} | {row['confidently_wrong']} | {row['called']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
