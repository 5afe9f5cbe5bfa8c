"""What classifying a song produces, and how it is written out (JSON, CSV).

The verdict rule, in one place:

* Silent windows are reported, but left out of the vote.
* The song's probability per genre is the mean of its non-silent windows'
  probabilities (soft vote: every window counts by how sure it is, where the
  paper's majority vote throws that away).
* The verdict is *uncertain* when the top genre's mean probability is below
  :data:`UNCERTAIN_BELOW` or leads the runner-up by less than
  :data:`UNCERTAIN_MARGIN`.
* A song whose every window is silent has status ``"silence"`` and no genre.
* With a calibrated bundle, every scored window and the song have a novelty
  score and are *unknown* ("Not one of Ghazal, Qawwali, Hip-hop, Rock") past its
  threshold (the rules are in :mod:`urdu_genre_app.core.novelty`); the genre
  probabilities stay available. Without one, ``unknown`` is None: the check
  is unavailable.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urdu_genre_app.core.novelty import is_unknown, song_novelty
from urdu_genre_app.core.safe_text import SpreadsheetSafeWriter, unicode_path

#: Top mean probability under which a verdict is flagged uncertain.
UNCERTAIN_BELOW = 0.6
#: Lead over the runner-up under which a verdict is flagged uncertain.
UNCERTAIN_MARGIN = 0.2

def not_one_of_text(labels) -> str:
    """How a song or window like none of the model's genres is described: ``"Not one of Ghazal, Rock"``.

    The model's own labels are named, so the sentence says which genres were
    ruled out (a user-trained model has other genres than the bundled one).
    """
    return "Not one of " + ", ".join(labels)


def closest_text(genre: str, confidence: float | None = None) -> str:
    """The nearest genre of a song that is not one of them, shown second: ``"closest: Rock 41%"``.

    Without ``confidence``: ``"closest: Rock"`` (where the share has no room, e.g. a table column).
    """
    return f"closest: {genre}" + (f" {confidence:.0%}" if confidence is not None else "")


def unknown_verdict_text(labels, genre: str, confidence: float | None = None) -> str:
    """The one-line verdict of a song or window that is not a genre: ``"Not one of …, Rock (closest: Rock 41%)"``."""
    return f"{not_one_of_text(labels)} ({closest_text(genre, confidence)})"


def soft_vote(probabilities: np.ndarray) -> np.ndarray:
    """A song's probability per genre from its voting windows': their mean (the verdict rule's soft vote).

    Parameters
    ----------
    probabilities : array_like, shape (n_windows, k)
        Softmax outputs of the windows that vote (silent ones left out), ``n_windows >= 1``.

    Returns
    -------
    numpy.ndarray, shape (k,), float64
    """
    return np.mean(np.asarray(probabilities, dtype=np.float64), axis=0)


def soft_votes_by_song(probabilities: np.ndarray, songs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`soft_vote` of every song in a set of windows (how evaluation scores a model as the app uses it).

    Parameters
    ----------
    probabilities : array_like, shape (n_windows, k)
        Softmax outputs.
    songs : array_like, shape (n_windows,)
        Song id of each window.

    Returns
    -------
    song_ids : numpy.ndarray, shape (n_songs,)
        Sorted unique song ids.
    song_probabilities : numpy.ndarray, shape (n_songs, k), float64
        Each song's soft vote.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    song_ids, inverse = np.unique(np.asarray(songs), return_inverse=True)
    votes = np.stack([soft_vote(probabilities[inverse == index]) for index in range(song_ids.size)])
    return song_ids, votes


STATUS_OK = "ok"
STATUS_SILENCE = "silence"


@dataclass(frozen=True)
class WindowResult:
    """The model's output for one window.

    Windows are cut by :mod:`urdu_genre_app.core.windows` (the last one ends
    where the song does); a silent window has no probabilities and takes no
    part in the verdict.

    Attributes
    ----------
    index : int
        0-based window number.
    start_seconds, end_seconds : float
        Extent in the song.
    probabilities : tuple of float
        One per label (empty for a silent window).
    silent : bool
        Below the silence threshold: not classified.
    short : bool
        A clip shorter than one window, looped to fill it.
    level_dbfs : float
        RMS level of the window.
    novelty : float or None
        Novelty score (> 1: not like any genre the model knows); None for a
        silent window or a bundle without the check.
    """

    index: int
    start_seconds: float
    end_seconds: float
    probabilities: tuple[float, ...]
    silent: bool = False
    short: bool = False
    level_dbfs: float = 0.0
    novelty: float | None = None

    @property
    def unknown(self) -> bool | None:
        """True when the window sounds like none of the model's genres; None when unchecked."""
        return is_unknown(self.novelty)

    def top_index(self) -> int | None:
        """Index of the most likely label, or None for a silent window."""
        return int(np.argmax(self.probabilities)) if self.probabilities else None


@dataclass
class SongResult:
    """The verdict for one file and the windows behind it.

    Attributes
    ----------
    path : str
        The classified file (or a description of a recording).
    labels : list of str
        Genre names in model order.
    windows : list of WindowResult
        Every window, silent ones included, in time order.
    duration_seconds : float
        Decoded length.
    model_name : str
        Which model produced it.
    warnings : list of str
        Things worth knowing (truncated file, short clip, ...).
    gaps : list of (float, float)
        A recording's gaps: ``(at_seconds, lost_seconds)`` of each stretch of
        input lost while recording (silence in the audio); empty for a file.
    """

    path: str
    labels: list[str]
    windows: list[WindowResult] = field(default_factory=list)
    duration_seconds: float = 0.0
    model_name: str = ""
    warnings: list[str] = field(default_factory=list)
    gaps: list[tuple[float, float]] = field(default_factory=list)

    @property
    def lost_seconds(self) -> float:
        """Audio lost in the recording's gaps, in seconds."""
        return float(sum(lost for _at, lost in self.gaps))

    @property
    def voting_windows(self) -> list[WindowResult]:
        """Windows that count towards the verdict (not silent)."""
        return [w for w in self.windows if not w.silent and w.probabilities]

    @property
    def status(self) -> str:
        """``"ok"`` or ``"silence"``."""
        return STATUS_OK if self.voting_windows else STATUS_SILENCE

    @property
    def probabilities(self) -> dict[str, float]:
        """Mean probability per genre over the voting windows (empty if silent)."""
        voting = self.voting_windows
        if not voting:
            return {}
        mean = soft_vote([w.probabilities for w in voting])
        return {label: float(p) for label, p in zip(self.labels, mean)}

    @property
    def genre(self) -> str | None:
        """The verdict, or None for silence."""
        probabilities = self.probabilities
        return max(probabilities, key=probabilities.get) if probabilities else None

    @property
    def confidence(self) -> float:
        """Mean probability of the verdict's genre (0 for silence)."""
        probabilities = self.probabilities
        return max(probabilities.values()) if probabilities else 0.0

    @property
    def uncertain(self) -> bool:
        """True when the model is not sure (see the module docstring)."""
        ranked = sorted(self.probabilities.values(), reverse=True)
        if not ranked:
            return False
        runner_up = ranked[1] if len(ranked) > 1 else 0.0
        return ranked[0] < UNCERTAIN_BELOW or ranked[0] - runner_up < UNCERTAIN_MARGIN

    @property
    def novelty(self) -> float | None:
        """The song's novelty score (median of its voting windows'); None when unavailable."""
        return song_novelty([w.novelty for w in self.voting_windows])

    @property
    def unknown(self) -> bool | None:
        """True when the song sounds like none of the model's genres; None when the check is unavailable."""
        return is_unknown(self.novelty)

    @property
    def short(self) -> bool:
        """True when the whole song was shorter than one window."""
        return any(w.short for w in self.windows)

    def verdict_text(self) -> str:
        """Human wording of the verdict, e.g. ``"Qawwali (87%)"``."""
        if self.status == STATUS_SILENCE:
            return "silence (no music detected)"
        text = f"{self.genre} ({self.confidence:.0%})"
        if self.unknown:
            text = unknown_verdict_text(self.labels, self.genre, self.confidence)
        return f"{text} [{', '.join(self.flag_words)}]" if self.flag_words else text

    @property
    def flag_words(self) -> list[str]:
        """What else to know about the verdict, in words: ``"uncertain"``, ``"short clip"``.

        A song that is not one of the genres is not called uncertain as well: which of them it is near
        is moot (``uncertain`` stays in the JSON and CSV).
        """
        uncertain = self.uncertain and not self.unknown
        return [flag for flag, on in (("uncertain", uncertain), ("short clip", self.short)) if on]

    def to_dict(self, *, include_windows: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        data: dict[str, Any] = {
            "path": unicode_path(self.path),  # valid UTF-8 whatever the name's bytes (see core.safe_text)
            "status": self.status,
            "genre": self.genre,
            "confidence": round(self.confidence, 6),
            "uncertain": self.uncertain,
            "short": self.short,
            "unknown": self.unknown,
            "novelty_score": _rounded(self.novelty),
            "probabilities": {k: round(v, 6) for k, v in self.probabilities.items()},
            "duration_seconds": round(self.duration_seconds, 3),
            "model": self.model_name,
            "warnings": [unicode_path(warning) for warning in self.warnings],
            "gaps": [{"at_seconds": round(at, 3), "lost_seconds": round(lost, 3)} for at, lost in self.gaps],
            "lost_seconds": round(self.lost_seconds, 3),
        }
        if include_windows:
            data["windows"] = [
                {
                    "index": w.index,
                    "start_seconds": round(w.start_seconds, 3),
                    "end_seconds": round(w.end_seconds, 3),
                    "silent": w.silent,
                    "short": w.short,
                    "level_dbfs": round(w.level_dbfs, 2),
                    "unknown": w.unknown,
                    "novelty_score": _rounded(w.novelty),
                    "genre": self.labels[w.top_index()] if w.top_index() is not None else None,
                    "probabilities": {k: round(float(p), 6) for k, p in zip(self.labels, w.probabilities)},
                }
                for w in self.windows
            ]
        return data


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _csv_flag(value: bool | None) -> str:
    return "" if value is None else str(value)


def results_to_csv(results: list[SongResult], *, include_windows: bool = False) -> str:
    """CSV text: one row per song, or one per window when ``include_windows``.

    Columns: path, (window, start, end,) status/genre, confidence, uncertain,
    short, unknown and novelty_score (empty where the check is unavailable),
    then one probability column per label of the first result. Cells are
    made spreadsheet-safe and names valid UTF-8 (:mod:`~urdu_genre_app.core.safe_text`).
    """
    labels = results[0].labels if results else []
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out)
    if include_windows:
        writer.writerow(["path", "window", "start_seconds", "end_seconds", "silent", "genre", "unknown",
                         "novelty_score", *labels])
        for result in results:
            for w in result.windows:
                top = w.top_index()
                writer.writerow(
                    [result.path, w.index, f"{w.start_seconds:.3f}", f"{w.end_seconds:.3f}", w.silent,
                     result.labels[top] if top is not None else "", _csv_flag(w.unknown),
                     "" if w.novelty is None else f"{w.novelty:.4f}",
                     *(f"{p:.6f}" for p in (w.probabilities or [0.0] * len(labels)))]
                )
    else:
        writer.writerow(["path", "status", "genre", "confidence", "uncertain", "short", "duration_seconds",
                         "unknown", "novelty_score", "gaps", "lost_seconds", *labels])
        for result in results:
            probabilities = result.probabilities
            writer.writerow(
                [result.path, result.status, result.genre or "", f"{result.confidence:.6f}", result.uncertain,
                 result.short, f"{result.duration_seconds:.3f}", _csv_flag(result.unknown),
                 "" if result.novelty is None else f"{result.novelty:.4f}",
                 len(result.gaps), f"{result.lost_seconds:.3f}",
                 *(f"{probabilities.get(label, 0.0):.6f}" for label in labels)]
            )
    return out.getvalue()
