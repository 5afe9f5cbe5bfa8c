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
import logging
import os
import sqlite3
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from urdu_genre_app.core.atomic import move_aside
from urdu_genre_app.core.bundle import ModelBundle
from urdu_genre_app.core.errors import LibraryError
from urdu_genre_app.core.results import SongResult
from urdu_genre_app.core.safe_text import unicode_path
from urdu_genre_app.library.result_codec import song_result_from_dict

log = logging.getLogger(__name__)

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


#: Seconds a cache operation waits for another process's write before going on without the cache.
BUSY_TIMEOUT_SECONDS = 5.0
#: Columns of each table, as :data:`_SCHEMA` makes them; any other layout is a foreign database.
_COLUMNS = {
    "fingerprints": ["path", "size", "mtime_ns", "content_sha256"],
    "results": ["content_sha256", "model_sha256", "labels", "result"],
}
_UNREADABLE_ENTRY = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


def _is_busy(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


class ResultsCache:
    """Verdicts stored on disk (see the module notes).

    A cache that is damaged ("database disk image is malformed", not a
    database at all) or another program's (foreign tables) is moved aside
    (:func:`~urdu_genre_app.core.atomic.move_aside`) and rebuilt empty, on
    opening or whenever a query finds the damage; while another process
    holds the database locked for more than :data:`BUSY_TIMEOUT_SECONDS`,
    lookups miss and verdicts are not stored, so the Library still works
    (songs are classified again). :attr:`notice` says which, once.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file; created, with its folder, if missing.

    Raises
    ------
    LibraryError
        Its folder cannot be made.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryError(f"{self.path.parent}: the results cache's folder cannot be made ({error})") from error
        #: One sentence for the user, set when the cache was rebuilt or is in use elsewhere (shown once).
        self.notice: str | None = None
        # One connection, shared by the threads of one process under a lock:
        # the GUI looks results up while a worker thread stores new ones.
        self._lock = threading.Lock()
        self._db = self._open()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
        try:
            problem = self._problem(db)
        except BaseException:
            db.close()
            raise
        if problem is not None:
            db.close()
            raise sqlite3.DatabaseError(problem)
        db.executescript(_SCHEMA)
        return db

    @staticmethod
    def _problem(db: sqlite3.Connection) -> str | None:
        """Why an open database is not a usable results cache, or None."""
        check = db.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            return f"it is damaged ({check[0] if check else 'no answer'})"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables - set(_COLUMNS):
            return f"it holds another program's tables ({', '.join(sorted(tables - set(_COLUMNS)))})"
        for table in tables:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            if columns != _COLUMNS[table]:
                return f"its {table} table has other columns ({', '.join(columns)})"
        return None

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.Error as error:
            if _is_busy(error):
                return self._in_memory(f"another program holds it locked ({error})")
            return self._rebuild(error)

    def _in_memory(self, why: str) -> sqlite3.Connection:
        self._tell(f"{self.path}: the results cache cannot be used now: {why}; verdicts are not kept this time")
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.executescript(_SCHEMA)
        return db

    def _rebuild(self, error: Exception) -> sqlite3.Connection:
        problem = str(error) if str(error).startswith(("it ", "its ")) else f"it is damaged ({error})"
        for suffix in ("-wal", "-shm", "-journal"):  # a damaged database's side files belong to it
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        move_aside(self.path, f"the results cache cannot be used: {problem}")
        self._tell(f"{self.path}: the results cache could not be used ({problem}); it was set aside and "
                   "rebuilt, so songs are classified again")
        try:
            return self._connect()
        except sqlite3.Error as again:
            return self._in_memory(str(again))

    def _tell(self, message: str) -> None:
        log.warning("%s", message)
        if self.notice is None:
            self.notice = message

    def _run(self, sql: str, parameters: tuple = (), *, write: bool = False) -> list[tuple] | None:
        """Run one statement under the lock; None when it could not run (see the class notes)."""
        for attempt in range(2):
            with self._lock:
                try:
                    if write:
                        with self._db:
                            self._db.execute(sql, parameters)
                        return []
                    return self._db.execute(sql, parameters).fetchall()
                except sqlite3.Error as error:
                    if _is_busy(error):
                        self._tell(f"{self.path}: another program holds the results cache locked; "
                                   "verdicts are classified again and not stored meanwhile")
                        return None
                    if attempt:
                        raise LibraryError(f"{self.path}: the results cache cannot be used ({error})") from error
                    self._db.close()
                    self._db = self._rebuild(error)
        return None

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
        rows = self._run("SELECT size, mtime_ns, content_sha256 FROM fingerprints WHERE path = ?", (key,))
        row = rows[0] if rows else None
        if row is not None and row[0] == info.st_size and row[1] == info.st_mtime_ns:
            return Fingerprint(info.st_size, info.st_mtime_ns, row[2])
        fingerprint = Fingerprint(info.st_size, info.st_mtime_ns, content_checksum(path))
        self._run("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?)",
                  (key, fingerprint.size, fingerprint.mtime_ns, fingerprint.content_sha256), write=True)
        return fingerprint

    def lookup(self, path: str | os.PathLike, model_sha256: str) -> SongResult | None:
        """The stored verdict for this file's current content and this model, or None.

        The result's ``path`` is set to ``path`` (the same song may have been
        stored under another name). An entry that cannot be read back (a
        nested or foreign JSON row) is a miss: the song is classified again.
        """
        try:
            content = self.fingerprint(path).content_sha256
        except OSError:
            return None
        rows = self._run("SELECT labels, result FROM results WHERE content_sha256 = ? AND model_sha256 = ?",
                         (content, model_sha256))
        if not rows:
            return None
        try:
            result = song_result_from_dict(json.loads(rows[0][1]), json.loads(rows[0][0]))
        except _UNREADABLE_ENTRY:
            return None  # an entry this version cannot read is simply classified again
        result.path = os.fspath(path)
        return result

    def store(self, path: str | os.PathLike, model_sha256: str, result: SongResult) -> None:
        """Remember ``result`` for this file's current content and this model."""
        content = self.fingerprint(path).content_sha256
        payload = json.dumps(result.to_dict(include_windows=True), ensure_ascii=False)
        self._run("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                  (content, model_sha256, json.dumps(result.labels), payload), write=True)

    def carry_over(self, old_content_sha256: str, path: str | os.PathLike) -> None:
        """Give the file's new content every verdict its old content had.

        For a file whose bytes changed but whose audio did not (its tags were
        rewritten).
        """
        new_content = self.fingerprint(path).content_sha256
        if new_content == old_content_sha256:
            return
        self._run("INSERT OR REPLACE INTO results SELECT ?, model_sha256, labels, result FROM results "
                  "WHERE content_sha256 = ?", (new_content, old_content_sha256), write=True)
