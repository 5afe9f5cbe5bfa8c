"""What the Library tab says, without Qt: row texts, filters, summaries and the questions it asks.

The Library view (``gui/library_widget.py``) and its table model
(``gui/library_model.py``) show these strings; keeping them here keeps the
view a view, and lets ``tests/unit/test_library_state.py`` check the wording
(a doubtful verdict never reads like a sure one) without a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from urdu_genre_app.core.results import closest_text, unknown_verdict_text
from urdu_genre_app.library.tag_policy import SKIP_UNKNOWN  # Qt- and numpy-free: the words of the flag

if TYPE_CHECKING:
    from urdu_genre_app.library.library import LibraryEntry
    from urdu_genre_app.library.tag_policy import TagPlan
    from urdu_genre_app.library.tags import TagReport

# Filters of the Show menu (verdict filters are "verdict:<genre>").
FILTER_ALL = "all"
FILTER_REVIEW = "review"
FILTER_UNCONFIRMED = "unconfirmed"
FILTER_CONFIRMED = "confirmed"
FILTER_UNKNOWN = "unknown"
FILTER_FAILED = "failed"
#: The Show filter of the songs like none of the model's genres (their Verdict reads "Not one of …").
NOT_A_GENRE = "Not one of the genres"
#: How the Library says where to confirm a genre, when tags were skipped for doubt.
CONFIRM_HINT = "confirm their genre to tag them"


def is_unknown(entry: LibraryEntry) -> bool:
    """The model's not-a-genre check says the song sounds like none of its genres."""
    return entry.result is not None and bool(entry.result.unknown)


def verdict_text(entry: LibraryEntry) -> str:
    """The Verdict column: the genre, ``"Not one of the genres (closest: Rock)"``, ``"silence"``, ``"…"``
    (pending) or ``"cannot read"``.

    The genres' names and the closest one's share are left to the tooltip
    (:func:`verdict_tooltip`): the column is read whole, every pixel it takes
    the file names lose (at 1024 px they had 145), and a model of ten genres
    would make it wider still. The words are the Show filter's, which finds
    these songs.
    """
    if entry.status == "pending":
        return "…"
    if entry.status == "failed":
        return "cannot read"
    if not entry.verdict:
        return "silence"
    if is_unknown(entry):
        return f"{NOT_A_GENRE} ({closest_text(entry.verdict)})"
    return entry.verdict


def confidence_text(entry: LibraryEntry) -> str:
    """The Confidence column; empty for a song that is not a genre (the nearest genre's share would mislead)."""
    if entry.confidence is None or is_unknown(entry):
        return ""
    return f"{entry.confidence:.0%}"


def verdict_tooltip(entry: LibraryEntry) -> str | None:
    """Why a row reads as it does: the decode error, or what "not a genre" means for it."""
    if entry.error:
        return entry.error
    if is_unknown(entry):
        return (f"{unknown_verdict_text(entry.result.labels, entry.verdict, entry.confidence)}: this song sounds "
                "like none of the model's genres. Its genre tag is not written unless you confirm a genre.")
    return None


def flags_text(entry: LibraryEntry) -> str:
    """The Flags column: every flag, and "needs review" when it does.

    For a song that is not one of the genres, "not a known genre" and "uncertain" are left out: its
    Verdict already says "Not one of …" (as :attr:`SongResult.flag_words` does).
    """
    flags = [flag for flag in entry.flags if not is_unknown(entry) or flag not in (SKIP_UNKNOWN, "uncertain")]
    return ", ".join([*flags, *(["needs review"] if entry.needs_review else [])])


def accepts(entry: LibraryEntry, mode: str) -> bool:
    """Whether a Show filter lets a row through."""
    if mode == FILTER_REVIEW:
        return entry.needs_review
    if mode == FILTER_UNCONFIRMED:
        return not entry.confirmed
    if mode == FILTER_CONFIRMED:
        return bool(entry.confirmed)
    if mode == FILTER_UNKNOWN:
        return is_unknown(entry)
    if mode == FILTER_FAILED:
        return entry.status == "failed"
    if mode.startswith("verdict:"):  # a song that is not a genre has no verdict to match, only a nearest genre
        return entry.verdict == mode.split(":", 1)[1] and not is_unknown(entry)
    return True


def filter_choices(labels: Sequence[str]) -> list[tuple[str, str]]:
    """The Show menu: ``(text, mode)`` pairs, in order."""
    return [("All songs", FILTER_ALL), ("Needs review", FILTER_REVIEW), ("Unconfirmed", FILTER_UNCONFIRMED),
            ("Confirmed", FILTER_CONFIRMED), *((f"Verdict: {label}", f"verdict:{label}") for label in labels),
            (NOT_A_GENRE, FILTER_UNKNOWN), ("Cannot read", FILTER_FAILED)]


def key_hint(labels: Sequence[str]) -> str:
    """The line under the table: which keys confirm which genre."""
    if not labels:
        return ""
    keys = "/".join(str(i) for i in range(1, len(labels) + 1))
    initials = "/".join(label[:1].upper() for label in labels)
    return (f"Keys {keys} or {initials} confirm the selected rows' genre ({', '.join(labels)}); 0 or Delete clears "
            "it; Enter or double-click opens the song in Classify.")


def summary_text(entries: Sequence[LibraryEntry]) -> str:
    """``"12 songs: 10 classified, 3 to review, 2 confirmed"``."""
    done = sum(e.result is not None for e in entries)
    review = sum(e.needs_review for e in entries)
    confirmed = sum(bool(e.confirmed) for e in entries)
    return f"{len(entries)} songs: {done} classified, {review} to review, {confirmed} confirmed"


def classified_text(summary, cancelled: bool) -> str:
    """What a classification batch did (a :class:`~urdu_genre_app.library.batch.BatchSummary`)."""
    done = len(summary.outcomes)
    text = (f"Stopped after {done} songs." if summary.cancelled or cancelled
            else f"Classified {done} songs in {summary.seconds:.1f} s.")
    failed = sum(o.result is None for o in summary.outcomes)
    if failed:
        text += f" {failed} could not be read (hover a row for why)."
    return text


def write_tags_question(plan: TagPlan) -> str:
    """The question before a bulk write: how many files, and which are skipped and why."""
    count = len(plan.genres)
    text = f"Write a genre into the tags of {count} file{'s' if count != 1 else ''}?"
    skipped = plan.skipped_summary(CONFIRM_HINT)
    if skipped:
        text += f" ({skipped}.)"
    return text + " Undo tags puts the previous genres back."


def tags_done_text(report: TagReport, plan: TagPlan | None) -> str:
    """What a tag write did, what it skipped and why, and every file that failed, one per line."""
    first = report.summary()
    skipped = plan.skipped_summary(CONFIRM_HINT) if plan is not None else ""
    if skipped:
        first += f"; {skipped}"
    return "\n".join([first + ".", *(str(failure) for failure in report.failures)])
