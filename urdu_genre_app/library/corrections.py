"""The user's confirmed genres: a ``path,genre`` CSV manifest.

It is the format ``urdu-genre train`` reads (``training.dataset.scan_manifest``:
a ``path,genre`` header, then one row per song; absolute paths here, so the
manifest can live in the library's data folder, away from the music). Every
change is written at once, atomically (:func:`~urdu_genre_app.core.atomic.atomic_write`),
so corrections survive a restart or a crash.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from urdu_genre_app.core.atomic import atomic_write, file_lock, move_aside
from urdu_genre_app.core.errors import LibraryError
from urdu_genre_app.core.safe_text import SpreadsheetSafeWriter, spreadsheet_unescape

MANIFEST_HEADER = ("path", "genre")


class CorrectionsManifest:
    """Confirmed genre per file, stored in a CSV manifest.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file; read if it exists.

    Raises
    ------
    LibraryError
        The manifest exists but cannot be read.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._genres: dict[str, str] = {}
        if self.path.exists():
            self._genres = self._read()

    def _read(self) -> dict[str, str]:
        try:
            with self.path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise LibraryError(f"{self.path}: the corrections manifest cannot be read ({error})") from error
        genres = {}
        for row in rows:
            cells = [cell.strip() for cell in row]
            if len(cells) < 2 or not cells[0] or not cells[1]:
                continue
            if tuple(cell.lower() for cell in cells[:2]) == MANIFEST_HEADER:
                continue
            genres[spreadsheet_unescape(cells[0])] = spreadsheet_unescape(cells[1])
        return genres

    def __len__(self) -> int:
        return len(self._genres)

    def get(self, path: str | os.PathLike) -> str | None:
        """The confirmed genre of a file, or None."""
        return self._genres.get(os.fspath(path))

    def items(self) -> list[tuple[str, str]]:
        """``(path, genre)`` pairs, in path order."""
        return sorted(self._genres.items())

    def set_many(self, genre_by_path: dict[str, str | None]) -> None:
        """Confirm (or, with None, clear) the genre of several files; saved at once.

        Another process (a second app window) may have confirmed genres since
        this manifest was read: the file is re-read under a lock
        (:func:`~urdu_genre_app.core.atomic.file_lock`), only these paths are
        changed in it, and it is saved, so neither side loses the other's.

        Parameters
        ----------
        genre_by_path : dict
            Path to genre name, or to None to forget the correction.

        Raises
        ------
        SaveError
            The manifest cannot be written (the confirmations stay in memory).
        """
        changes = {os.fspath(path): genre for path, genre in genre_by_path.items()}
        with file_lock(self.path):
            try:
                self._genres = self._read() if self.path.exists() else {}
            except LibraryError as error:  # damaged meanwhile: rebuilt from what this process knows
                move_aside(self.path, str(error))
            for key, genre in changes.items():
                if genre:
                    self._genres[key] = genre
                else:
                    self._genres.pop(key, None)
            self.save()

    def set(self, path: str | os.PathLike, genre: str | None) -> None:
        """Confirm (or clear) one file's genre; saved at once."""
        self.set_many({os.fspath(path): genre})

    def to_csv(self) -> str:
        """The manifest's text."""
        out = io.StringIO()
        # Paths keep their bytes (read back with surrogateescape); cells cannot run as formulas.
        writer = SpreadsheetSafeWriter(out, unicode=False)
        writer.writerow(MANIFEST_HEADER)
        writer.writerows(self.items())
        return out.getvalue()

    def save(self) -> None:
        """Write the manifest atomically."""
        with atomic_write(self.path) as stream:
            stream.write(self.to_csv().encode("utf-8", "surrogateescape"))  # a non-UTF-8 name keeps its bytes
