"""The open-music corpus: openly licensed real recordings, described file by file in the repository.

``open_music.tsv`` (beside this module) has one row per file: its path under
the corpus folder, its genre (``rock``, ``hiphop``, ``other`` or ``samples``),
licence, attribution, the **artist** that splits keep on one side, source (a
Debian package and the path inside it, or a GitHub repository at a commit),
where the licence is stated, sha256, duration and notes. It is derived from
the corpus folder's own ``MANIFEST.tsv`` by :func:`derive_rows` (the artist
is the attribution's credited name, with the aliases of
:data:`ARTIST_ALIASES` joined), so it can be regenerated::

    python -m training.realmusic.corpus derive ../shared/open-music/MANIFEST.tsv

The audio is never in the repository. :func:`corpus_root` finds the folder
(``$URDU_GENRE_OPEN_MUSIC``, else ``../shared/open-music`` beside the
checkout); :func:`verified_path` refuses a file whose sha256 is not the
manifest's; :mod:`training.realmusic.rebuild` fetches the files again from
their sources elsewhere.

Splits are by artist (:func:`leave_artist_out`, :func:`split_by_artist`): no
artist has songs on both sides, so a score measures artists the model never
heard (songs of one game soundtrack or one producer share a sound).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.errors import DatasetError
from training.extract import file_sha256  # one content hash for training's files

#: The manifest shipped in the repository.
MANIFEST_NAME = "open_music.tsv"
#: Environment variable naming the corpus folder (the one holding ``rock/``, ``other/``, ...).
ROOT_VARIABLE = "URDU_GENRE_OPEN_MUSIC"
#: Columns of ``open_music.tsv``, in order.
COLUMNS = ("path", "genre", "artist", "licence", "attribution", "source", "licence_stated_at", "sha256",
           "duration_seconds", "genre_confidence", "notes")
#: Genres that are music (``samples`` are one-shot sounds and loops, not songs).
MUSIC_GENRES = ("rock", "hiphop", "other")
#: Licences the corpus may hold: open ones only (never commercial releases).
OPEN_LICENCES = ("CC0-1.0", "PD", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-4.0")
#: Credited names that are one artist (or one soundtrack team) under several spellings.
ARTIST_ALIASES = {
    "0zone0ne and krobonil": "krobonil",
    "0zone0ne": "krobonil",  # credited together with Krobonil on the same soundtrack
    "chris leutwyler": "krobonil",
    "flare composers": "flare composers",
    "wildfire games": "wildfire games",
    "megaglest team": "megaglest team",
}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CorpusEntry:
    """One file of the corpus, as its manifest row describes it.

    Attributes
    ----------
    path : str
        Relative to the corpus folder, with ``/`` separators.
    genre, artist, licence, attribution, source : str
    sha256 : str
        64 lowercase hex digits.
    duration_seconds : float
    """

    path: str
    genre: str
    artist: str
    licence: str
    attribution: str
    source: str
    sha256: str
    duration_seconds: float
    licence_stated_at: str = ""
    genre_confidence: str = ""
    notes: str = ""


def manifest_path() -> Path:
    """The repository's ``open_music.tsv``."""
    return Path(__file__).with_name(MANIFEST_NAME)


def corpus_root() -> Path:
    """Where the corpus audio is: ``$URDU_GENRE_OPEN_MUSIC``, else ``../shared/open-music`` beside the checkout."""
    if os.environ.get(ROOT_VARIABLE):
        return Path(os.environ[ROOT_VARIABLE])
    return Path(__file__).resolve().parents[2].parent / "shared" / "open-music"


def read_manifest(path: str | os.PathLike | None = None, *, genres: Iterable[str] | None = None) -> list[CorpusEntry]:
    """The manifest's rows, checked.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A tab-separated file with :data:`COLUMNS` as its header (default: :func:`manifest_path`).
    genres : iterable of str, optional
        Keep only these genres (default: every row).

    Returns
    -------
    list of CorpusEntry
        In file order.

    Raises
    ------
    DatasetError
        Missing columns, a row without path, genre or artist, a bad sha256,
        a licence not in :data:`OPEN_LICENCES`, or a path listed twice.
    """
    path = Path(path) if path is not None else manifest_path()
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    except OSError as error:
        raise DatasetError(f"{path}: cannot read the corpus manifest ({error.strerror or error})") from error
    missing = [c for c in COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise DatasetError(f"{path}: not a corpus manifest (no rows, or missing columns {missing})")
    wanted = None if genres is None else set(genres)
    entries, seen = [], set()
    for number, row in enumerate(rows, start=2):
        where = f"{path}, line {number}"
        if not row["path"] or not row["genre"] or not row["artist"]:
            raise DatasetError(f"{where}: every row needs a path, a genre and an artist")
        if not _SHA256.match(row["sha256"] or ""):
            raise DatasetError(f"{where}: {row['path']} has no valid sha256")
        if row["licence"] not in OPEN_LICENCES:
            raise DatasetError(f"{where}: {row['path']} has licence {row['licence']!r}, not an open one")
        if row["path"] in seen:
            raise DatasetError(f"{where}: {row['path']} is listed twice")
        seen.add(row["path"])
        try:
            duration = float(row["duration_seconds"] or 0.0)
        except ValueError as error:
            raise DatasetError(f"{where}: duration {row['duration_seconds']!r} is not a number") from error
        if wanted is not None and row["genre"] not in wanted:
            continue
        entries.append(CorpusEntry(
            path=row["path"], genre=row["genre"], artist=row["artist"], licence=row["licence"],
            attribution=row["attribution"], source=row["source"], sha256=row["sha256"],
            duration_seconds=duration, licence_stated_at=row.get("licence_stated_at") or "",
            genre_confidence=row.get("genre_confidence") or "", notes=row.get("notes") or "",
        ))
    return entries


def verified_path(entry: CorpusEntry, root: str | os.PathLike | None = None) -> Path:
    """The entry's file under ``root`` (default :func:`corpus_root`), after checking its sha256.

    Raises
    ------
    DatasetError
        The file is missing, or its bytes are not the ones the manifest lists.
    """
    root = Path(root) if root is not None else corpus_root()
    path = root / entry.path
    if not path.is_file():
        raise DatasetError(f"{path}: missing from the corpus folder (rebuild it: python -m training.realmusic.rebuild)")
    actual = file_sha256(path)
    if actual != entry.sha256:
        raise DatasetError(f"{path}: its sha256 is {actual[:12]}..., the manifest lists {entry.sha256[:12]}...; "
                           "not the file the corpus was made of")
    return path


def load_entry(entry: CorpusEntry, root: str | os.PathLike | None = None, *, sample_rate: int,
               max_seconds: float | None = None) -> np.ndarray:
    """Decode a verified entry to mono float32 at ``sample_rate`` Hz, shape (n_samples,)."""
    from urdu_genre_app.core.audio_io import load_audio

    return load_audio(verified_path(entry, root), sample_rate=sample_rate, max_seconds=max_seconds)


def leave_artist_out(entries: list[CorpusEntry]) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """One fold per artist: that artist's songs held out, everyone else's to train on.

    Yields
    ------
    artist : str
    train, held_out : numpy.ndarray of int
        Indices into ``entries``; no artist is in both.
    """
    artists = np.array([e.artist for e in entries])
    for artist in sorted(set(artists)):
        held = artists == artist
        yield artist, np.flatnonzero(~held), np.flatnonzero(held)


def split_by_artist(entries: list[CorpusEntry], *, held_out_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of whole artists: about ``held_out_fraction`` of each genre's songs held out.

    Artists are shuffled and taken, per genre of their first song, until the
    genre's held-out share is reached, so every genre with two or more
    artists has songs on both sides.

    Returns
    -------
    train, held_out : numpy.ndarray of int
        Indices into ``entries``; an artist's songs are all on one side.
    """
    if not 0.0 < held_out_fraction < 1.0:
        raise ValueError(f"held_out_fraction must be between 0 and 1, not {held_out_fraction}")
    rng = np.random.default_rng(seed)
    by_artist: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        by_artist.setdefault(entry.artist, []).append(index)
    artists = sorted(by_artist)
    rng.shuffle(artists)
    genre_total: dict[str, int] = {}
    for entry in entries:
        genre_total[entry.genre] = genre_total.get(entry.genre, 0) + 1
    taken: dict[str, int] = {g: 0 for g in genre_total}
    artists_of: dict[str, int] = {}
    for artist in artists:
        genre = entries[by_artist[artist][0]].genre
        artists_of[genre] = artists_of.get(genre, 0) + 1
    held: list[int] = []
    held_artists: dict[str, int] = {}
    for artist in artists:
        genre = entries[by_artist[artist][0]].genre
        # Keep at least one artist of each genre on the training side.
        if held_artists.get(genre, 0) + 1 >= artists_of[genre] and artists_of[genre] > 1:
            continue
        if artists_of[genre] == 1 or taken[genre] >= held_out_fraction * genre_total[genre]:
            continue
        held.extend(by_artist[artist])
        held_artists[genre] = held_artists.get(genre, 0) + 1
        for index in by_artist[artist]:
            taken[entries[index].genre] += 1
    held_out = np.array(sorted(held), dtype=np.int64)
    train = np.setdiff1d(np.arange(len(entries)), held_out)
    return train, held_out


def artist_key(attribution: str) -> str:
    """The artist a manifest attribution credits, lower case, aliases joined (:data:`ARTIST_ALIASES`).

    The name is the text before the first comma, without a parenthesised
    remark (``"Hyde (David Hyde), ..."`` -> ``"hyde"``) or ``aka`` part.
    """
    name = attribution.split(",")[0]
    name = re.sub(r"\s*\(.*", "", name)
    name = re.sub(r"\s+aka\s+.*", "", name, flags=re.IGNORECASE)
    name = name.replace('"', "").strip().lower()
    for alias, artist in ARTIST_ALIASES.items():
        if name == alias or name.startswith(alias + " "):
            return artist
    return name


def derive_rows(shared_manifest: str | os.PathLike) -> list[dict[str, str]]:
    """``open_music.tsv``'s rows from the corpus folder's ``MANIFEST.tsv`` (adds the artist column)."""
    with open(shared_manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{column: (artist_key(row["attribution"]) if column == "artist" else row.get(column, ""))
             for column in COLUMNS} for row in rows]


def entry_row(entry: CorpusEntry) -> dict[str, str]:
    """The manifest row of ``entry``, :func:`read_manifest`'s inverse (:data:`COLUMNS`, for :func:`write_rows`)."""
    row = {column: str(getattr(entry, column)) for column in COLUMNS}
    row["duration_seconds"] = f"{entry.duration_seconds:g}"
    return row


def write_rows(rows: list[dict[str, str]], out) -> None:
    """Write manifest rows as tab-separated text with the :data:`COLUMNS` header."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m training.realmusic.corpus derive MANIFEST.tsv`` or ``... verify [ROOT]``."""
    parser = argparse.ArgumentParser(description="The open-music corpus manifest.")
    commands = parser.add_subparsers(dest="command", required=True)
    derive = commands.add_parser("derive", help="write open_music.tsv from the corpus folder's MANIFEST.tsv")
    derive.add_argument("shared_manifest", type=Path)
    derive.add_argument("--out", type=Path, default=manifest_path())
    verify = commands.add_parser("verify", help="check every listed file's sha256 under ROOT")
    verify.add_argument("root", type=Path, nargs="?", default=None)
    args = parser.parse_args(argv)
    if args.command == "derive":
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            write_rows(derive_rows(args.shared_manifest), out)
        print(f"wrote {args.out}")
        return 0
    failures = 0
    for entry in read_manifest():
        try:
            verified_path(entry, args.root)
        except DatasetError as error:
            failures += 1
            print(error, file=sys.stderr)
    print(f"{failures} of {len(read_manifest())} files missing or different")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
