"""Which genre, if any, goes into a file's genre tag: one rule for ``classify --write-tags`` and the Library.

* A genre the user **confirmed** for the song is written, whatever the
  model said: the user knows the song.
* Otherwise the model's **verdict** is written only when it is sure of it. A
  *doubtful* verdict is skipped, with the reason: one that sounds like no
  genre the model knows (the novelty check's "not a genre"), or an
  *uncertain* one (:attr:`~urdu_genre_app.core.results.SongResult.uncertain`).
  Asked explicitly (``include_doubtful``, the CLI's ``--include-doubtful``),
  the doubtful verdict, i.e. the nearest genre, is written too.
* A song without a verdict (silence, unreadable, not classified yet) and
  without a confirmed genre is skipped, with the reason.

The tag writer (:func:`~urdu_genre_app.library.tags.write_genres`) is handed
only :attr:`TagPlan.genres`; :meth:`TagPlan.skipped_summary` says what was
left out and why, for the CLI's and the Library's summaries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from urdu_genre_app.core.results import SongResult

#: Why a file was skipped, in the words the summaries use.
SKIP_UNKNOWN = "not a known genre"
SKIP_UNCERTAIN = "uncertain"
SKIP_NO_VERDICT = "no verdict"
#: The order reasons are listed in.
SKIP_REASONS = (SKIP_UNKNOWN, SKIP_UNCERTAIN, SKIP_NO_VERDICT)


def doubt(result: SongResult | None) -> str | None:
    """Why a verdict is doubtful (:data:`SKIP_UNKNOWN` or :data:`SKIP_UNCERTAIN`), or None when it is not."""
    if result is None or result.genre is None:
        return None
    if result.unknown:
        return SKIP_UNKNOWN
    if result.uncertain:
        return SKIP_UNCERTAIN
    return None


def tag_genre(result: SongResult | None, confirmed: str | None = None, *,
              include_doubtful: bool = False) -> tuple[str | None, str | None]:
    """The genre to write for one song, or why none is written.

    Parameters
    ----------
    result : SongResult or None
        The model's verdict (None: not classified, or unreadable).
    confirmed : str, optional
        The genre the user confirmed for this song; it always wins.
    include_doubtful : bool
        Write a doubtful verdict (its nearest genre) too.

    Returns
    -------
    genre : str or None
        What to write; None when the song is skipped.
    reason : str or None
        One of :data:`SKIP_REASONS` when skipped, else None.
    """
    if confirmed:
        return confirmed, None
    if result is None or result.genre is None:
        return None, SKIP_NO_VERDICT
    reason = doubt(result)
    if reason is not None and not include_doubtful:
        return None, reason
    return result.genre, None


@dataclass
class TagPlan:
    """What a tag batch writes and what it leaves out.

    Attributes
    ----------
    genres : dict of str to str
        File to the genre written into its tag.
    skipped : dict of str to str
        File to the reason it is left alone (one of :data:`SKIP_REASONS`).
    """

    genres: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def skipped_counts(self) -> dict[str, int]:
        """Files skipped per reason, in :data:`SKIP_REASONS` order (reasons with none left out)."""
        counts = Counter(self.skipped.values())
        return {reason: counts[reason] for reason in SKIP_REASONS if counts[reason]}

    def doubtful_skipped(self) -> int:
        """Files left out because their verdict is doubtful."""
        return sum(n for reason, n in self.skipped_counts().items() if reason != SKIP_NO_VERDICT)

    def skipped_summary(self, how_to_include: str = "") -> str:
        """``"3 skipped: 2 not a known genre, 1 uncertain"`` (and how to include them), or "" when none was."""
        counts = self.skipped_counts()
        if not counts:
            return ""
        text = (f"{len(self.skipped)} skipped: "
                + ", ".join(f"{n} {reason}" for reason, n in counts.items()))
        if how_to_include and self.doubtful_skipped():
            text += f" ({how_to_include})"
        return text


def plan_tags(songs: Iterable[tuple[str, SongResult | None, str | None]], *,
              include_doubtful: bool = False) -> TagPlan:
    """Apply :func:`tag_genre` to ``(path, result, confirmed genre)`` triples.

    Parameters
    ----------
    songs : iterable of (str, SongResult or None, str or None)
    include_doubtful : bool
        Write doubtful verdicts too (asked explicitly).

    Returns
    -------
    TagPlan
    """
    plan = TagPlan()
    for path, result, confirmed in songs:
        genre, reason = tag_genre(result, confirmed, include_doubtful=include_doubtful)
        if genre is not None:
            plan.genres[path] = genre
        else:
            plan.skipped[path] = reason or SKIP_NO_VERDICT
    return plan
