"""``urdu-genre classify --write-tags``: the verdicts written into the files' genre tags.

Kept out of ``cli.py`` so the command line only gains its two flags and one
call. The batch is journaled like the Library tab's (in the app's data
folder, ``tag_journal.json``), so the previous genres are on record.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from urdu_genre_app.core.results import SongResult
from urdu_genre_app.library.tag_policy import plan_tags
from urdu_genre_app.library.tags import TagJournal, write_genres


def default_journal_path() -> Path:
    """The journal of tag batches written from the command line (:func:`urdu_genre_app.paths.tag_journal_path`)."""
    from urdu_genre_app.paths import tag_journal_path

    return tag_journal_path()


def write_verdict_tags(
    results: Sequence[SongResult],
    *,
    keep_existing: bool = False,
    include_doubtful: bool = False,
    quiet: bool = False,
    journal_path: str | Path | None = None,
    stream: TextIO | None = None,
) -> int:
    """Write each result's genre into its file's tags; print failures (and a summary unless ``quiet``).

    What is written follows :mod:`urdu_genre_app.library.tag_policy`: a
    doubtful verdict (not a known genre, or uncertain) only with
    ``include_doubtful``; silent files are left alone. The summary says what
    was skipped and why.

    Returns
    -------
    int
        Files that could not be tagged (each named on ``stream``, stderr by default).
    """
    stream = stream or sys.stderr
    plan = plan_tags(((r.path, r, None) for r in results), include_doubtful=include_doubtful)
    journal = TagJournal(journal_path or default_journal_path())
    report = write_genres(plan.genres, keep_existing=keep_existing, journal=journal)
    for failure in report.failures:
        print(f"urdu-genre: cannot tag {failure}", file=stream)
    if not quiet:
        skipped = plan.skipped_summary("add --include-doubtful to write their nearest genre anyway")
        print(f"tags: {report.summary()}" + (f"; {skipped}" if skipped else ""), file=stream)
    return len(report.failures)
