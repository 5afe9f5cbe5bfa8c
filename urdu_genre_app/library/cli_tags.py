"""``urdu-genre classify --write-tags`` and ``urdu-genre tags undo``: genre tags from the command line.

Kept out of ``cli.py`` so the command line only gains its flags and one call
each. The batches are journaled like the Library tab's (in the app's data
folder, ``tag_journal.json``, absolute paths), so ``urdu-genre tags undo``
puts back the genres the newest batch replaced, from any folder.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from urdu_genre_app.core.errors import SaveError
from urdu_genre_app.core.results import SongResult
from urdu_genre_app.core.safe_text import terminal_safe
from urdu_genre_app.library.tag_policy import plan_tags
from urdu_genre_app.library.tags import TagJournal, TagReport, undo_last_batch, write_genres


def default_journal_path() -> Path:
    """The journal of tag batches written from the command line (:func:`urdu_genre_app.paths.tag_journal_path`)."""
    from urdu_genre_app.paths import tag_journal_path

    return tag_journal_path()


def _print_report(report: TagReport, journal: TagJournal, *, verb: str, quiet: bool, stream: TextIO,
                  summary_note: str = "") -> int:
    if journal.notice:
        print(f"urdu-genre: note: {terminal_safe(journal.notice)}", file=stream)
    for failure in report.failures:
        print(f"urdu-genre: cannot {verb} {terminal_safe(str(failure))}", file=stream)
    if report.journal_error:
        print(f"urdu-genre: error: {terminal_safe(report.journal_error)}", file=stream)
    if not quiet:
        print(f"tags: {report.summary()}" + (f"; {summary_note}" if summary_note else ""), file=stream)
    return len(report.failures) + bool(report.journal_error)


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
        Files that could not be tagged, plus one when the journal could not
        be written (each named on ``stream``, stderr by default).
    """
    stream = stream or sys.stderr
    plan = plan_tags(((r.path, r, None) for r in results), include_doubtful=include_doubtful)
    journal = TagJournal(journal_path or default_journal_path())
    report = write_genres(plan.genres, keep_existing=keep_existing, journal=journal)
    skipped = plan.skipped_summary("add --include-doubtful to write their nearest genre anyway")
    return _print_report(report, journal, verb="tag", quiet=quiet, stream=stream, summary_note=skipped)


def undo_last_tags(*, quiet: bool = False, journal_path: str | Path | None = None,
                   stream: TextIO | None = None) -> int | None:
    """Put back the genres the newest command-line tag batch replaced.

    Returns
    -------
    int or None
        Files that could not be restored (0: all were); None when there was
        no batch to undo (said on ``stream``).
    """
    stream = stream or sys.stderr
    journal = TagJournal(journal_path or default_journal_path())
    if not journal.can_undo:
        if journal.notice:
            print(f"urdu-genre: note: {terminal_safe(journal.notice)}", file=stream)
        print("urdu-genre: no tag batch to undo", file=stream)
        return None
    try:
        report = undo_last_batch(journal)
    except SaveError as error:
        print(f"urdu-genre: error: {terminal_safe(str(error))}", file=stream)
        return 1
    return _print_report(report, journal, verb="restore", quiet=quiet, stream=stream)
