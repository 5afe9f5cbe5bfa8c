"""A labelled folder of real open-music songs and synthetic songs, split by artist, for ``urdu-genre train``.

The bundled BN-CNN and musicnn learn from a folder with one sub-folder per
genre. This module writes one that mixes the open-music corpus's real Rock
and Hip-hop songs (:mod:`training.realmusic.corpus`) with a synthetic corpus
(``python -m training.synth``), and keeps some artists out of it to measure
on::

    python -m training.realmusic.mixed TARGET --synthetic SYNTH_DIR [--synthetic SYNTH_DIR2] \\
        [--hold-out-artists A,B | --held-out-fraction F --seed S] [--root OPEN_MUSIC]

It writes (links, never copies: hard links where the file system allows,
else symbolic links):

``TARGET/train/<Genre>/``
    The training artists' real Rock and Hip-hop songs and the synthetic
    songs not kept for validation.
``TARGET/validation/<Genre>/``
    Every :data:`VALIDATION_EVERY`-th synthetic song of each genre: held-out
    songs for the Gaussian half of the not-a-genre check and the temperature
    (``urdu-genre calibrate --validation``). Real songs stay in ``train/``:
    the corpus has too few artists of a genre (hip-hop has one) to spare some.
``TARGET/other/``
    The training artists' real other music, the negatives of the
    other-music check (``urdu-genre calibrate --other``), without
    :data:`~training.realmusic.build.SOUTH_ASIAN_OTHER` (South-Asian-flavoured
    instrumentals would teach the check that ghazal-like sound is not a genre).
``TARGET/held-out.tsv``
    The held-out artists' music rows, in :data:`~training.realmusic.corpus.COLUMNS`
    form: a manifest that ``benchmarks/realmusic_eval.py --manifest`` measures.

Splits are by artist (:func:`~training.realmusic.corpus.split_by_artist`, or
the artists named): no artist has songs on both sides. Every file is
sha256-checked (:func:`~training.realmusic.corpus.verified_path`).
"""

from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.errors import DatasetError
from training.realmusic.corpus import (
    MUSIC_GENRES,
    CorpusEntry,
    entry_row,
    read_manifest,
    split_by_artist,
    verified_path,
    write_rows,
)

#: Every this many synthetic songs of a genre (sorted by name), one goes to ``validation/``.
VALIDATION_EVERY = 4
#: The held-out manifest's name in TARGET.
HELD_OUT_NAME = "held-out.tsv"
#: Folder of the other-music negatives in TARGET.
OTHER_FOLDER = "other"


@dataclass
class MixedFolder:
    """What :func:`link_mixed` wrote.

    Attributes
    ----------
    train, validation, other : pathlib.Path
        The folders.
    held_out : pathlib.Path
        The held-out manifest.
    counts : dict
        ``{folder: {genre: songs}}``.
    held_out_artists : list of str
    """

    train: Path
    validation: Path
    other: Path
    held_out: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    held_out_artists: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"{name}: " + ", ".join(f"{genre} {n}" for genre, n in sorted(genres.items()))
                 for name, genres in self.counts.items()]
        lines.append("held-out artists: " + (", ".join(self.held_out_artists) or "none"))
        return "\n".join(lines)


def _link(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (a symbolic link across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        os.symlink(source.resolve(), target)


def held_out_indices(entries: list[CorpusEntry], *, hold_out_artists: list[str] | None,
                     held_out_fraction: float | None, seed: int) -> np.ndarray:
    """Indices of the held-out entries: the named artists' songs, or a seeded split by artist.

    Raises
    ------
    DatasetError
        A named artist is not in the corpus.
    """
    if hold_out_artists is not None:
        known = {e.artist for e in entries}
        unknown = sorted(set(hold_out_artists) - known)
        if unknown:
            raise DatasetError(f"artists {unknown} are not in the corpus (its artists: {sorted(known)})")
        return np.array([i for i, e in enumerate(entries) if e.artist in set(hold_out_artists)], dtype=np.int64)
    if held_out_fraction is None:
        return np.zeros(0, dtype=np.int64)
    return split_by_artist(entries, held_out_fraction=held_out_fraction, seed=seed)[1]


def link_mixed(target: str | os.PathLike, synthetic: str | os.PathLike | list | None, *,
               hold_out_artists: list[str] | None = None, held_out_fraction: float | None = None, seed: int = 0,
               root: str | os.PathLike | None = None, manifest: str | os.PathLike | None = None,
               validation_every: int = VALIDATION_EVERY, other_genre: str | None = None) -> MixedFolder:
    """Write the mixed folder (see the module docstring).

    Parameters
    ----------
    target : str or os.PathLike
        A folder that does not exist yet, or an empty one.
    synthetic : str or os.PathLike or list of them, or None
        Synthetic corpora (one sub-folder per genre each); None for real songs only.
    hold_out_artists : list of str, optional
        Artists (as the manifest spells them) to hold out.
    held_out_fraction : float, optional
        Else hold out about this fraction of each genre's songs, whole artists, seeded by ``seed``.
    root : str or os.PathLike, optional
        The corpus folder (default :func:`~training.realmusic.corpus.corpus_root`).
    manifest : str or os.PathLike, optional
        The corpus manifest (default the repository's).
    validation_every : int
        :data:`VALIDATION_EVERY`.
    other_genre : str, optional
        Also link the other-music negatives into ``train/<other_genre>/``: a model fine-tuned on the
        folder learns them as one more class (outlier exposure in training), a class that
        ``python -m training.other_label`` then turns into the bundle's other-music output.

    Raises
    ------
    DatasetError
        ``target`` is not empty, a file is missing or not the manifest's, or an artist is unknown.
    """
    from training.realmusic.build import SOUTH_ASIAN_OTHER
    from training.realmusic.evaluate import OPEN_MUSIC_CLASS

    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise DatasetError(f"{target}: not empty; the mixed folder is written into a new folder")
    entries = read_manifest(manifest, genres=MUSIC_GENRES)
    held = set(held_out_indices(entries, hold_out_artists=hold_out_artists, held_out_fraction=held_out_fraction,
                                seed=seed).tolist())
    result = MixedFolder(train=target / "train", validation=target / "validation", other=target / OTHER_FOLDER,
                         held_out=target / HELD_OUT_NAME)
    counts: dict[str, dict[str, int]] = {"train": {}, "validation": {}, OTHER_FOLDER: {}}

    def count(folder: str, genre: str) -> None:
        counts[folder][genre] = counts[folder].get(genre, 0) + 1

    try:
        for index, entry in enumerate(entries):
            if index in held:
                continue
            source = verified_path(entry, root)
            name = Path(entry.path).name
            if entry.genre == "other":
                if entry.path in SOUTH_ASIAN_OTHER:
                    continue
                _link(source, result.other / name)
                count(OTHER_FOLDER, "other")
                if other_genre:
                    _link(source, result.train / other_genre / name)
                    count("train", other_genre)
            else:
                genre = OPEN_MUSIC_CLASS[entry.genre]
                _link(source, result.train / genre / name)
                count("train", genre)
        corpora = [] if synthetic is None else [synthetic] if isinstance(synthetic, (str, os.PathLike)) else synthetic
        for corpus in map(Path, corpora):
            # "synthetic-" keeps a synthetic song's name apart from any real one's; a second corpus's names
            # (the same generator's ghazal_000.wav) apart by its folder's name.
            prefix = "synthetic-" if len(corpora) == 1 else f"synthetic-{corpus.name}-"
            for genre_dir in sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith(".")):
                songs = sorted(p for p in genre_dir.iterdir() if p.is_file() and not p.name.startswith("."))
                for number, song in enumerate(songs):
                    folder = "validation" if (number % validation_every) == validation_every - 1 else "train"
                    _link(song, target / folder / genre_dir.name / f"{prefix}{song.name}")
                    count(folder, genre_dir.name)
    except Exception:
        shutil.rmtree(target, ignore_errors=True)
        raise
    held_rows = [entries[i] for i in sorted(held)]
    target.mkdir(parents=True, exist_ok=True)
    with open(result.held_out, "w", encoding="utf-8", newline="") as out:
        write_rows([entry_row(e) for e in held_rows], out)
    result.counts = counts
    result.held_out_artists = sorted({e.artist for e in held_rows})
    return result


def artist_by_file_name(manifest: str | os.PathLike | None = None) -> dict[str, str]:
    """``{file name: artist}`` of the corpus's music files, to group a linked folder's real songs by artist.

    Names are unique in the corpus (checked); a synthetic song (``synthetic-...``) is in no row.
    """
    names: dict[str, str] = {}
    for entry in read_manifest(manifest, genres=MUSIC_GENRES):
        name = Path(entry.path).name
        if name in names:
            raise DatasetError(f"{name} is listed twice in the corpus manifest under different folders")
        names[name] = entry.artist
    return names


def main(argv: list[str] | None = None) -> int:
    """``python -m training.realmusic.mixed TARGET --synthetic DIR [...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="the folder to write (new or empty)")
    parser.add_argument("--synthetic", type=Path, action="append", default=None,
                        help="a synthetic corpus (one folder per genre); repeat for several")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--hold-out-artists", default=None, help="comma-separated artists to hold out")
    choice.add_argument("--held-out-fraction", type=float, default=None,
                        help="hold out about this share of each genre's songs, whole artists")
    parser.add_argument("--seed", type=int, default=0, help="the --held-out-fraction split's seed (default 0)")
    parser.add_argument("--root", type=Path, default=None, help="the corpus folder (default: corpus_root())")
    parser.add_argument("--other-genre", default=None, metavar="NAME",
                        help="also put the other-music negatives in train/NAME/ (a class to train on)")
    args = parser.parse_args(argv)
    artists = None if args.hold_out_artists is None else [a.strip() for a in args.hold_out_artists.split(",")
                                                         if a.strip()]
    try:
        result = link_mixed(args.target, args.synthetic, hold_out_artists=artists,
                            held_out_fraction=args.held_out_fraction, seed=args.seed, root=args.root,
                            other_genre=args.other_genre)
    except DatasetError as error:
        print(error)
        return 2
    print(result.describe())
    print(f"held-out songs: {result.held_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
