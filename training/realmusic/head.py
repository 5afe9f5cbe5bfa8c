"""The ``musicnn_tags`` family's linear genre head over pooled tag logits, and its fit.

A multinomial logistic regression over five classes, the four genres and
**other music**, fitted on standardised features with the standardisation
folded into its weights (:func:`fit_head`). Both the bundle builder
(:mod:`training.realmusic.build`) and the fine-tuner
(:mod:`training.realmusic.finetune`) refit it; the family
(:mod:`training.realmusic.family`) turns it into a graph and a check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The genres, in output order (as every bundled model).
GENRES = ("Ghazal", "Hip-hop", "Qawwali", "Rock")
#: The head's fifth class: real music of none of the genres (outlier exposure).
OTHER = "other"
#: Inverse L2 strength of the head (scikit-learn's ``C``), chosen by leave-artist-out validation.
DEFAULT_C = 0.1


@dataclass(frozen=True)
class TagHead:
    """A fitted head on raw (unstandardised) pooled tag logits.

    Attributes
    ----------
    weights : numpy.ndarray, shape (100, 5), float64
        Columns: the :data:`GENRES`, then :data:`OTHER`.
    bias : numpy.ndarray, shape (5,), float64
    """

    weights: np.ndarray
    bias: np.ndarray

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Five logits a window, shape (n, 100) -> (n, 5)."""
        return np.asarray(features, np.float64) @ self.weights + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax over the five classes, shape (n, 100) -> (n, 5)."""
        z = self.logits(features)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def fit_head(features: np.ndarray, labels: np.ndarray, *, sample_weight: np.ndarray | None = None,
             c: float = DEFAULT_C, classes: int = len(GENRES) + 1) -> TagHead:
    """Fit the five-class logistic regression on standardised features and fold the standardisation in.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, 100)
        Pooled tag logits of training windows.
    labels : numpy.ndarray, shape (n,), int
        ``0..3`` the :data:`GENRES`, ``4`` other music.
    sample_weight : numpy.ndarray, shape (n,), optional
        Per-window weights (e.g. each song and each source weighing the same).
    c : float
        Inverse L2 strength.
    classes : int
        Output columns (a class with no rows gets a very negative bias, never chosen).

    Returns
    -------
    TagHead
    """
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(features, np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / std, labels, sample_weight=sample_weight)
    weights = np.zeros((x.shape[1], classes))
    bias = np.full(classes, -30.0)
    for column, label in enumerate(model.classes_):
        w = model.coef_[column] if len(model.classes_) > 2 else (model.coef_[0] if column else -model.coef_[0])
        b = model.intercept_[column] if len(model.classes_) > 2 else (
            model.intercept_[0] if column else -model.intercept_[0])
        weights[:, label] = w / std
        bias[label] = b - np.dot(w / std, mean)
    return TagHead(weights=weights, bias=bias)
