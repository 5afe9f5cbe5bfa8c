"""The journal of genre-tag batches: what each file's genre was before, for Undo.

One JSON file, saved atomically after every entry; a change is recorded
*before* its file is written, so a crash mid-batch still leaves a journal that
can undo every file the batch touched.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from urdu_genre_app.core.atomic import atomic_write

log = logging.getLogger(__name__)

JOURNAL_FORMAT = "urdu-genre-tag-journal"
JOURNAL_VERSION = 1


@dataclass(frozen=True)
class TagChange:
    """One file's genre before and after a write.

    Attributes
    ----------
    path : str
    previous : tuple of str
        The genres it had (empty: none).
    written : tuple of str
        The genres written.
    """

    path: str
    previous: tuple[str, ...]
    written: tuple[str, ...]



class TagJournal:
    """Batches of tag changes, newest last, saved atomically after every entry.

    Parameters
    ----------
    path : str or os.PathLike
        The journal file (JSON); read if it exists.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.batches: list[dict[str, Any]] = []
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") == JOURNAL_FORMAT:
                    self.batches = list(data.get("batches", []))
            except (OSError, ValueError, AttributeError) as error:
                log.warning("ignoring unreadable tag journal %s (%s)", self.path, error)

    @property
    def can_undo(self) -> bool:
        """True when there is a batch to undo."""
        return bool(self.batches)

    def save(self) -> None:
        """Write the journal atomically."""
        data = {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "batches": self.batches}
        with atomic_write(self.path) as stream:
            stream.write(json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))

    def begin_batch(self) -> None:
        """Start a new batch (saved when its first change is added)."""
        self.batches.append({"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "changes": []})

    def add(self, change: TagChange) -> None:
        """Record a change about to be made, and save."""
        self.batches[-1]["changes"].append(
            {"path": change.path, "previous": list(change.previous), "written": list(change.written)}
        )
        self.save()

    def discard_last_change(self) -> None:
        """Forget the last recorded change (its write failed), and save."""
        self.batches[-1]["changes"].pop()
        self.save()

    def end_batch(self) -> None:
        """Close the batch; an empty one is dropped."""
        if self.batches and not self.batches[-1]["changes"]:
            self.batches.pop()
            if self.path.exists():
                self.save()

    def pop_batch(self) -> list[TagChange]:
        """Take the newest batch off the journal (saved)."""
        batch = self.batches.pop()
        self.save()
        return [TagChange(c["path"], tuple(c["previous"]), tuple(c["written"])) for c in batch["changes"]]
