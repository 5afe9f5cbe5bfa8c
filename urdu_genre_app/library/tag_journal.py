"""The journal of genre-tag batches: what each file's genre was before, for Undo.

One JSON file. A change is recorded *before* its file is written, so a crash
mid-batch still leaves a journal that can undo every file the batch touched.

Several processes may tag at once (two ``urdu-genre classify --write-tags``
runs, the app beside the command line): every change to the journal is made
under :func:`~urdu_genre_app.core.atomic.file_lock`, on the file as re-read
under that lock, and saved atomically, so no process loses another's
batches. Each batch carries an id, so a process finds its own batch however
many others were added meanwhile.

A journal that cannot be read or is not shaped like one (``"batches": 5``)
is moved aside (:func:`~urdu_genre_app.core.atomic.move_aside`) and a new one
is started; :attr:`TagJournal.notice` says so once.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from urdu_genre_app.core.atomic import atomic_write, file_lock, move_aside

log = logging.getLogger(__name__)

JOURNAL_FORMAT = "urdu-genre-tag-journal"
JOURNAL_VERSION = 1
#: Bytes of journal read at most: ~2 KB a change, so a million changes; a larger file is damaged.
MAX_JOURNAL_BYTES = 256 << 20


@dataclass(frozen=True)
class TagChange:
    """One file's genre before and after a write.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    previous : tuple of str
        The genres it had (empty: none).
    written : tuple of str
        The genres written.
    """

    path: str
    previous: tuple[str, ...]
    written: tuple[str, ...]


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _valid_batches(data: Any) -> list[dict[str, Any]] | None:
    """The batches of a journal's JSON, or None when it is not shaped like a journal."""
    if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
        return None
    batches = data.get("batches", [])
    if not isinstance(batches, list):
        return None
    for batch in batches:
        if not isinstance(batch, dict) or not isinstance(batch.get("changes"), list):
            return None
        for change in batch["changes"]:
            if not (isinstance(change, dict) and isinstance(change.get("path"), str)
                    and _is_string_list(change.get("previous")) and _is_string_list(change.get("written"))):
                return None
    return batches


class TagJournal:
    """Batches of tag changes, newest last, shared safely between processes (see the module notes).

    Parameters
    ----------
    path : str or os.PathLike
        The journal file (JSON); read if it exists.

    Attributes
    ----------
    notice : str or None
        Set when a damaged journal was moved aside: one sentence to show the user once.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.notice: str | None = None
        self._batch_id: str | None = None
        self.batches: list[dict[str, Any]] = self._load()

    def _load(self) -> list[dict[str, Any]]:
        """The batches on disk (a damaged file is moved aside: none)."""
        try:
            size = self.path.stat().st_size
            if size > MAX_JOURNAL_BYTES:
                raise ValueError(f"it is {size} bytes, larger than any journal this app writes")
            data = json.loads(self.path.read_bytes().decode("utf-8", "surrogateescape"))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as error:  # unreadable, not damaged: left where it is (writing it will say why)
            log.warning("%s: the tag journal cannot be read (%s)", self.path, error.strerror or error)
            return []
        except (ValueError, RecursionError) as error:
            problem = f"the tag journal cannot be read ({error})"
        else:
            batches = _valid_batches(data)
            if batches is not None:
                return batches
            problem = "the tag journal is not shaped like one"
        if move_aside(self.path, problem) is not None or not self.path.exists():
            self.notice = f"{self.path}: {problem}; it was set aside and a new one started (Undo starts afresh)"
        return []

    def _change(self, edit) -> None:
        """Apply ``edit(batches)`` to the journal as re-read under the lock, and save."""
        with file_lock(self.path):
            self.batches = self._load()
            edit(self.batches)
            data = {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "batches": self.batches}
            with atomic_write(self.path) as stream:
                stream.write(json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8", "surrogateescape"))

    def _own_batch(self, batches: list[dict[str, Any]]) -> dict[str, Any] | None:
        return next((b for b in reversed(batches) if b.get("id") == self._batch_id), None)

    @property
    def can_undo(self) -> bool:
        """True when the journal on disk holds a batch to undo."""
        self.batches = self._load()
        return bool(self.batches)

    def save(self) -> None:
        """Write the journal as it is on disk, re-read under the lock (creates it)."""
        self._change(lambda batches: None)

    def begin_batch(self) -> None:
        """Start a new batch (written when its first change is added)."""
        self._batch_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def add(self, change: TagChange) -> None:
        """Record a change about to be made, and save.

        Raises
        ------
        SaveError
            The journal cannot be written (full disk, read-only folder): the
            file must then not be tagged, as its old genre is on no record.
        """
        record = {"path": change.path, "previous": list(change.previous), "written": list(change.written)}

        def edit(batches: list[dict[str, Any]]) -> None:
            batch = self._own_batch(batches)
            if batch is None:
                batch = {"id": self._batch_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "changes": []}
                batches.append(batch)
            batch["changes"].append(record)

        self._change(edit)

    def discard_last_change(self) -> None:
        """Forget this batch's last recorded change (its write failed), and save."""
        def edit(batches: list[dict[str, Any]]) -> None:
            batch = self._own_batch(batches)
            if batch is not None and batch["changes"]:
                batch["changes"].pop()
                if not batch["changes"]:
                    batches.remove(batch)

        self._change(edit)

    def end_batch(self) -> None:
        """Close the batch (an empty one was never written)."""
        self._batch_id = None

    def pop_batch(self) -> list[TagChange]:
        """Take the newest batch off the journal (saved); empty when there is none."""
        taken: list[dict[str, Any]] = []

        def edit(batches: list[dict[str, Any]]) -> None:
            if batches:
                taken.append(batches.pop())

        self._change(edit)
        if not taken:
            return []
        return [TagChange(c["path"], tuple(c["previous"]), tuple(c["written"])) for c in taken[0]["changes"]]
