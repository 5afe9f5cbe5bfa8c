"""Verdicts on disk, keyed by what the file holds and which model judged it.

A result is stored under ``(content_sha256, model_sha256)``:

* ``content_sha256`` is the SHA-256 of the file's bytes. Hashing 200 songs
  takes seconds, so the hash is remembered per path with the file's size and
  modification time (nanoseconds): while both are unchanged the stored hash
  is trusted (the fast path every tagger uses), and any change makes the file
  be hashed again.
* ``model_sha256`` (:func:`model_checksum`) covers everything that shapes a
  verdict: the LiteRT model, labels, feature parameters, normalisation and
  window policy. Another model, or the same weights with other features,
  misses the cache.

So reopening a library fills it from here at once, while an edited file or
another model is classified again. Writing genre tags changes a file's bytes
but not its audio; :meth:`ResultsCache.carry_over` moves the verdict to the
new content so a tagged file is not classified again.

Stored in one SQLite file (the standard library's: transactions make every
write atomic, and a crash leaves the last committed state).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from urdu_genre_app.core.bundle import ModelBundle
from urdu_genre_app.core.errors import LibraryError
from urdu_genre_app.core.results import SongResult
from urdu_genre_app.core.safe_text import unicode_path
from urdu_genre_app.library.result_codec import song_result_from_dict

#: Bytes read at a time while hashing a file.
HASH_CHUNK_BYTES = 1 << 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fingerprints (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    content_sha256 TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    labels TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (content_sha256, model_sha256)
);
"""


def model_checksum(bundle: ModelBundle) -> str:
    """SHA-256 over everything in a bundle that shapes its verdicts.

    Parameters
    ----------
    bundle : ModelBundle
        A loaded bundle.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256(bundle.tflite_model)
    shaping = {
        "labels": list(bundle.labels),
        "features": bundle.feature_params.to_dict(),
        "mean": [float(v) for v in bundle.feature_mean],
        "std": [float(v) for v in bundle.feature_std],
        "window_policy": bundle.window_policy.to_dict(),
        "novelty": bundle.novelty.to_dict() if bundle.novelty is not None else None,
    }
    digest.update(json.dumps(shaping, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def content_checksum(path: str | os.PathLike) -> str:
    """SHA-256 of a regular file's bytes (64 hex digits).

    The file is opened without blocking and must be a regular file, and at
    most the size it had when opened is read: a FIFO (which would block the
    open for ever) or a link to ``/dev/zero`` (which never ends) raises
    instead of hanging the caller.

    Raises
    ------
    OSError
        The file cannot be read, or is not a regular file.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        digest = hashlib.sha256()
        left = info.st_size
        while left > 0 and (chunk := stream.read(min(HASH_CHUNK_BYTES, left))):
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's content.

    Attributes
    ----------
    size : int
        Bytes.
    mtime_ns : int
        Modification time in nanoseconds.
    content_sha256 : str
        SHA-256 of the bytes.
    """

    size: int
    mtime_ns: int
    content_sha256: str


class ResultsCache:
    """Verdicts stored on disk (see the module notes).

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file; created, with its folder, if missing.

    Raises
    ------
    LibraryError
        The file exists but is not a results cache (or is damaged).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, shared by the threads of one process under a lock:
        # the GUI looks results up while a worker thread stores new ones.
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise LibraryError(f"{self.path}: the results cache cannot be used ({error})") from error

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def fingerprint(self, path: str | os.PathLike) -> Fingerprint:
        """The file's fingerprint, hashing it only when its size or time changed.

        Raises
        ------
        OSError
            The file cannot be read.
        """
        key = unicode_path(path)  # SQLite text must be valid UTF-8; a non-UTF-8 name's bytes become \\xNN
        info = os.stat(path)
        with self._lock:
            row = self._db.execute(
                "SELECT size, mtime_ns, content_sha256 FROM fingerprints WHERE path = ?", (key,)
            ).fetchone()
        if row is not None and row[0] == info.st_size and row[1] == info.st_mtime_ns:
            return Fingerprint(info.st_size, info.st_mtime_ns, row[2])
        fingerprint = Fingerprint(info.st_size, info.st_mtime_ns, content_checksum(path))
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?)",
                (key, fingerprint.size, fingerprint.mtime_ns, fingerprint.content_sha256),
            )
        return fingerprint

    def lookup(self, path: str | os.PathLike, model_sha256: str) -> SongResult | None:
        """The stored verdict for this file's current content and this model, or None.

        The result's ``path`` is set to ``path`` (the same song may have been
        stored under another name).
        """
        try:
            content = self.fingerprint(path).content_sha256
        except OSError:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT labels, result FROM results WHERE content_sha256 = ? AND model_sha256 = ?",
                (content, model_sha256),
            ).fetchone()
        if row is None:
            return None
        try:
            result = song_result_from_dict(json.loads(row[1]), json.loads(row[0]))
        except (KeyError, TypeError, ValueError):
            return None  # an entry this version cannot read is simply classified again
        result.path = os.fspath(path)
        return result

    def store(self, path: str | os.PathLike, model_sha256: str, result: SongResult) -> None:
        """Remember ``result`` for this file's current content and this model."""
        content = self.fingerprint(path).content_sha256
        payload = json.dumps(result.to_dict(include_windows=True), ensure_ascii=False)
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                (content, model_sha256, json.dumps(result.labels), payload),
            )

    def carry_over(self, old_content_sha256: str, path: str | os.PathLike) -> None:
        """Give the file's new content every verdict its old content had.

        For a file whose bytes changed but whose audio did not (its tags were
        rewritten).
        """
        new_content = self.fingerprint(path).content_sha256
        if new_content == old_content_sha256:
            return
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO results SELECT ?, model_sha256, labels, result FROM results "
                "WHERE content_sha256 = ?",
                (new_content, old_content_sha256),
            )
