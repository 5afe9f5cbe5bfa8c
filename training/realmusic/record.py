"""Say in a bundle that it learned from real open-music songs as well as synthetic ones, and which.

A bundle fine-tuned on a :mod:`training.realmusic.mixed` folder is recorded
by the pipeline as trained on "user" songs. This rewrites its provenance
(nothing else: the models and the check are kept byte for byte)::

    python -m training.realmusic.record BUNDLE --mixed TARGET [--held-out RIGHT/SONGS --held-out-is WORDS]

``--held-out`` stores the recipe's figure on held-out real songs (measured
with the same recipe on artist folds, ``benchmarks/realmusic_eval.py``) as
the bundle's measured accuracy, with a 95 % interval: the header and Model
details then show what the model does on real songs, not its test split's
synthetic-heavy figure (which stays in ``metrics``).

``trained_on`` becomes :data:`TRAINED_ON`; ``real_music`` lists the real
files it trained on (``train/`` and the ``other/`` negatives of its check)
with their artist and licence from the corpus manifest, so a model card and
the app can credit them (CC BY and CC BY-SA ask for it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

from training.realmusic.corpus import MUSIC_GENRES, read_manifest
from training.realmusic.mixed import OTHER_FOLDER

#: ``provenance["trained_on"]`` of a bundle trained on real and synthetic songs.
TRAINED_ON = "real (open-music) and synthetic"


def real_files(target: str | os.PathLike, manifest: str | os.PathLike | None = None) -> list[dict[str, str]]:
    """The corpus files in a mixed folder's ``train/`` and ``other/``: path, genre, artist, licence, used as."""
    by_name = {Path(e.path).name: e for e in read_manifest(manifest, genres=MUSIC_GENRES)}
    rows = []
    for folder, used_as in (("train", "genre"), (OTHER_FOLDER, "other music (the not-a-genre check)")):
        for path in sorted((Path(target) / folder).rglob("*")):
            entry = by_name.get(path.name)
            if path.is_file() and entry is not None:
                rows.append({"path": entry.path, "genre": entry.genre, "artist": entry.artist,
                             "licence": entry.licence, "used_as": used_as})
    return rows


def record(bundle_path: str | os.PathLike, target: str | os.PathLike, *,
           held_out: tuple[int, int] | None = None, held_out_is: str = "") -> dict:
    """Rewrite ``bundle_path``'s provenance (:data:`TRAINED_ON`, ``real_music``); returns the ``real_music`` record.

    Parameters
    ----------
    bundle_path : str or os.PathLike
        The bundle, rewritten in place.
    target : str or os.PathLike
        The :mod:`training.realmusic.mixed` folder it was trained on.
    held_out : tuple of int, optional
        ``(right, songs)`` on held-out real songs, stored as ``metrics["measured_accuracy"]``.
    held_out_is : str
        What that figure counts, in words (the header's parenthesis).
    """
    from training.evaluate import wilson_interval
    from urdu_genre_app.core.bundle import MEASURED_ACCURACY, load_bundle, save_bundle

    bundle = load_bundle(bundle_path)
    files = real_files(target)
    licences: dict[str, int] = {}
    for row in files:
        licences[row["licence"]] = licences.get(row["licence"], 0) + 1
    real = {"corpus": "open-music (training/realmusic/open_music.tsv: attribution and source per file)",
            "files": files, "licences": licences, "artists": sorted({r["artist"] for r in files})}
    provenance = {**bundle.provenance, "trained_on": TRAINED_ON, "real_music": real}
    metrics = dict(bundle.metrics)
    if held_out is not None:
        right, songs = held_out
        metrics[MEASURED_ACCURACY] = {"song_accuracy": right / songs, "method": held_out_is, "songs": songs,
                                      "interval": list(wilson_interval(right, songs))}
    save_bundle(dataclasses.replace(bundle, provenance=provenance, metrics=metrics), bundle_path)
    return real


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--mixed", type=Path, required=True, help="the folder training.realmusic.mixed wrote")
    parser.add_argument("--held-out", metavar="RIGHT/SONGS", help="the recipe's held-out real songs named right")
    parser.add_argument("--held-out-is", default="held-out real songs named right and not flagged, artist folds",
                        metavar="WORDS", help="what --held-out counts")
    args = parser.parse_args(argv)
    held_out = None
    if args.held_out:
        right, _, songs = args.held_out.partition("/")
        held_out = (int(right), int(songs))
        if not 0 <= held_out[0] <= held_out[1] or held_out[1] == 0:
            parser.error("--held-out wants RIGHT/SONGS with 0 <= RIGHT <= SONGS, SONGS > 0")
    real = record(args.bundle, args.mixed, held_out=held_out, held_out_is=args.held_out_is)
    print(f"{args.bundle}: trained on {len(real['files'])} real files of {len(real['artists'])} artists "
          f"({real['licences']}) and synthetic songs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
