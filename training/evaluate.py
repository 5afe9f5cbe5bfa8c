"""Scores of a trained model: window- and song-level accuracy, loss, per-class P/R/F1, confusion.

Two song-level votes are reported:

* **mean vote** (``song_accuracy``): the song's genre is the arg-max of its
  windows' mean probabilities, exactly what the app's classifier does
  (:mod:`urdu_genre_app.core.results`); this is the headline figure stored as
  ``metrics["song_accuracy"]`` in a bundle;
* **majority vote** (``song_accuracy_majority``): the paper's rule for unseen
  songs (most frequent window verdict; ties go to the higher mean probability).

Window accuracy and loss (mean cross-entropy) are what the paper's Table III
reports. Confusion matrices have true genres as rows and predictions as
columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from urdu_genre_app.core.results import soft_votes_by_song

#: Probabilities are clipped to this before the log in the loss.
LOSS_EPSILON = 1e-7


@dataclass
class Evaluation:
    """One model's scores on one set of windows.

    Attributes
    ----------
    labels : list of str
        Genre names, in the order of the matrices' rows and columns.
    window_accuracy, window_loss : float
        Over windows: accuracy in [0, 1] and mean cross-entropy (nats).
    song_accuracy : float
        Over songs, mean-probability vote (the app's rule).
    song_accuracy_majority : float
        Over songs, majority vote (the paper's rule).
    window_confusion, song_confusion : numpy.ndarray, shape (k, k), int64
        Counts; rows are true genres, columns predicted (song: mean vote).
    per_class : dict
        Song-level (mean vote) ``precision``, ``recall``, ``f1``, ``support`` per label.
    window_per_class : dict
        The same over windows.
    n_windows, n_songs : int
        What was scored.
    """

    labels: list[str]
    window_accuracy: float
    window_loss: float
    song_accuracy: float
    song_accuracy_majority: float
    window_confusion: np.ndarray
    song_confusion: np.ndarray
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    window_per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    n_windows: int = 0
    n_songs: int = 0

    def to_metrics(self) -> dict[str, Any]:
        """JSON-ready form, as stored in a bundle's ``metrics``."""
        return {
            "song_accuracy": round(self.song_accuracy, 6),
            "song_accuracy_majority": round(self.song_accuracy_majority, 6),
            "window_accuracy": round(self.window_accuracy, 6),
            "window_loss": round(self.window_loss, 6),
            "labels": list(self.labels),
            "confusion_matrix": self.song_confusion.tolist(),
            "window_confusion_matrix": self.window_confusion.tolist(),
            "per_class": self.per_class,
            "window_per_class": self.window_per_class,
            "test_windows": self.n_windows,
            "test_songs": self.n_songs,
        }


#: Normal quantile of the two-sided 95 % interval (:func:`wilson_interval`).
Z_95 = 1.959964


def wilson_interval(correct: int, total: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion: how sure an accuracy measured on ``total`` songs is.

    Unlike the normal approximation it stays inside [0, 1] and is honest for
    a handful of songs (3 of 3 right gives 44-100 %, not 100-100 %).

    Parameters
    ----------
    correct, total : int
        Songs right, songs scored (``total`` >= 0).
    z : float
        Normal quantile of the confidence (:data:`Z_95`: 95 %).

    Returns
    -------
    low, high : float
        In [0, 1]; ``(0.0, 1.0)`` when nothing was scored.
    """
    if total <= 0:
        return 0.0, 1.0
    p = correct / total
    denominator = 1.0 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def measured_accuracy(correct: int, total: int, method: str) -> dict[str, Any]:
    """A song accuracy and how sure it is, as a bundle's ``metrics["measured_accuracy"]`` stores it.

    Parameters
    ----------
    correct, total : int
        Songs right and songs scored, each by a model that never trained on it.
    method : str
        How, in words a user reads ("5-fold cross-validation").

    Returns
    -------
    dict
        ``song_accuracy``, ``songs``, ``correct``, ``method``, ``interval`` (95 % Wilson, ``[low, high]``).
    """
    low, high = wilson_interval(correct, total)
    return {"song_accuracy": round(correct / total, 6) if total else None, "songs": int(total),
            "correct": int(correct), "method": method, "interval": [round(low, 4), round(high, 4)],
            "confidence": 0.95}


def mean_cross_entropy(probabilities: np.ndarray, y_true: np.ndarray) -> float:
    """Mean sparse categorical cross-entropy of softmax outputs, in nats (the training loss).

    Parameters
    ----------
    probabilities : array_like, shape (n, k)
        Softmax outputs.
    y_true : array_like, shape (n,), int
        True label indices.

    Returns
    -------
    float
        ``-mean(log p[true])``, each probability clipped to at least :data:`LOSS_EPSILON`.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    picked = probabilities[np.arange(y_true.size), y_true]
    return float(-np.mean(np.log(np.clip(picked, LOSS_EPSILON, 1.0))))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs, shape (n_classes, n_classes), int64."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix


def per_class_scores(matrix: np.ndarray, labels: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label from a confusion matrix (0 where undefined)."""
    scores = {}
    for i, label in enumerate(labels):
        true_positive = float(matrix[i, i])
        predicted = float(matrix[:, i].sum())
        actual = float(matrix[i, :].sum())
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = {
            "precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6), "support": int(actual)
        }
    return scores


def song_votes(
    probabilities: np.ndarray, songs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-song verdicts by mean and by majority vote.

    Parameters
    ----------
    probabilities : numpy.ndarray, shape (n_windows, k)
        Softmax outputs.
    songs : numpy.ndarray, shape (n_windows,), int
        Song id of each window.

    Returns
    -------
    song_ids : numpy.ndarray, shape (n_songs,)
        Sorted unique song ids.
    mean_vote, majority_vote : numpy.ndarray, shape (n_songs,), int64
        Predicted label index per song.
    """
    song_ids, means = soft_votes_by_song(probabilities, songs)
    inverse = np.searchsorted(song_ids, np.asarray(songs))
    votes = np.zeros_like(means)
    np.add.at(votes, (inverse, np.asarray(probabilities).argmax(axis=1)), 1)
    mean_vote = means.argmax(axis=1)
    # Majority; ties broken by the higher mean probability (means are at most 1: the nudge stays under one vote).
    majority_vote = (votes + 1e-6 * means).argmax(axis=1)
    return song_ids, mean_vote.astype(np.int64), majority_vote.astype(np.int64)


def evaluate_probabilities(
    probabilities: np.ndarray, *, y_true: np.ndarray, songs: np.ndarray, labels: list[str]
) -> Evaluation:
    """Score softmax outputs against the truth.

    Parameters
    ----------
    probabilities : numpy.ndarray, shape (n_windows, k), float
        Model outputs (rows sum to 1).
    y_true : numpy.ndarray, shape (n_windows,), int
        True label index of each window.
    songs : numpy.ndarray, shape (n_windows,), int
        Song id of each window (a song's windows share its label).
    labels : list of str
        The k genre names.

    Returns
    -------
    Evaluation
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    k = len(labels)
    if probabilities.ndim != 2 or probabilities.shape != (y_true.size, k):
        raise ValueError(f"probabilities of shape {probabilities.shape} do not match {y_true.size} windows x {k}")
    if y_true.size == 0:
        raise ValueError("nothing to evaluate: no windows")
    window_pred = probabilities.argmax(axis=1)
    window_loss = mean_cross_entropy(probabilities, y_true)
    song_ids, mean_vote, majority_vote = song_votes(probabilities, np.asarray(songs))
    first_window = np.array([np.flatnonzero(songs == s)[0] for s in song_ids])
    song_true = y_true[first_window]
    window_matrix = confusion_matrix(y_true, window_pred, k)
    song_matrix = confusion_matrix(song_true, mean_vote, k)
    return Evaluation(
        labels=list(labels),
        window_accuracy=float(np.mean(window_pred == y_true)),
        window_loss=window_loss,
        song_accuracy=float(np.mean(mean_vote == song_true)),
        song_accuracy_majority=float(np.mean(majority_vote == song_true)),
        window_confusion=window_matrix,
        song_confusion=song_matrix,
        per_class=per_class_scores(song_matrix, labels),
        window_per_class=per_class_scores(window_matrix, labels),
        n_windows=int(y_true.size),
        n_songs=int(song_ids.size),
    )


def format_confusion(matrix: np.ndarray, labels: list[str]) -> str:
    """A confusion matrix as aligned text (rows true, columns predicted)."""
    width = max(6, *(len(label) for label in labels))
    lines = [" " * width + " " + " ".join(f"{label[:width]:>{width}}" for label in labels) + "  <- predicted"]
    for label, row in zip(labels, matrix):
        lines.append(f"{label:>{width}} " + " ".join(f"{int(v):>{width}}" for v in row))
    return "\n".join(lines)


def format_comparison(rows: list[tuple[str, Evaluation, float]], *, split_mode: str) -> str:
    """Table III-style comparison of models evaluated on the same split.

    Parameters
    ----------
    rows : list of (str, Evaluation, float)
        Model title, its test evaluation, and its training time in seconds.
    split_mode : str
        Which split the numbers are on (printed in the heading).

    Returns
    -------
    str
        One line per model: song accuracy (mean vote, majority), window
        accuracy and loss, macro F1 and training time; then per-class
        P/R/F1 and the song-level confusion matrix of each model.
    """
    heading = (
        f"Test results on the {split_mode!r} split "
        "(song = vote over the song's windows; window = each window alone)"
    )
    header = f"{'model':<22} {'song acc':>8} {'majority':>8} {'win acc':>8} {'win loss':>9} {'macro F1':>8} {'train s':>8}"
    lines = [heading, header, "-" * len(header)]
    for title, evaluation, seconds in rows:
        macro_f1 = float(np.mean([s["f1"] for s in evaluation.per_class.values()]))
        lines.append(
            f"{title:<22} {evaluation.song_accuracy:>8.1%} {evaluation.song_accuracy_majority:>8.1%} "
            f"{evaluation.window_accuracy:>8.1%} {evaluation.window_loss:>9.4f} {macro_f1:>8.3f} {seconds:>8.1f}"
        )
    for title, evaluation, _ in rows:
        lines.append("")
        lines.append(f"{title}: per genre (songs, mean vote)")
        for label, scores in evaluation.per_class.items():
            lines.append(
                f"  {label:<16} precision {scores['precision']:.3f}  recall {scores['recall']:.3f}  "
                f"F1 {scores['f1']:.3f}  ({scores['support']} songs)"
            )
        lines.append(format_confusion(evaluation.song_confusion, evaluation.labels))
    return "\n".join(lines)
