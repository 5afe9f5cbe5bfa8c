"""The not-a-genre check learned from real other music, beside the Gaussian one (outlier exposure).

The Gaussian check (:mod:`training.calibrate`) only knows the genres: it
flags a window far from all of them, and a model trained on a few genres
maps much real music close to one (a Western pop song sits right on
Hip-hop). This check is also shown music that is none of the genres
(Hendrycks et al. 2019, "Deep anomaly detection with outlier exposure"):

* **What it fits**: an :class:`~urdu_genre_app.core.novelty.OtherMusicClass`,
  one more logit ``o = h @ w + b`` over the frozen model's penultimate
  features ``h``. At inference its probability is one softmax over the
  genres' logits ``g`` and ``o``, i.e. ``sigmoid(o - logsumexp(g))``; so it
  is fitted as a logistic regression of "other music" against "a genre" with
  the offset ``-logsumexp(g)`` (:func:`fit_other_logit`), L2-regularised on
  standardised features (the standardisation folded into ``w`` and ``b``),
  the two sides weighing the same.
* **Its threshold**: out-of-fold probabilities by group (an artist's songs,
  or a song, never on both sides of a fold: :func:`grouped_out_of_fold`), the
  value that :data:`GENRE_FLAG_FRACTION` of the genre windows exceed
  (:func:`fit_other_check`).
* **Beside the Gaussian spaces** (:func:`combine`): a bundle's score is the
  largest of the spaces' scaled distances and P(other), over one threshold.
  The Gaussian spaces' scales are multiplied so that they flag exactly what
  they flagged before under the other check's threshold; ``without_gaussian``
  keeps only the temporal-structure check beside it (noise, clicks: real
  other music never shows the model those).

Which real music is a negative is the caller's choice; South-Asian-flavoured
instrumentals should not be (``training/realmusic/mixed.py`` leaves
:data:`~training.realmusic.build.SOUTH_ASIAN_OTHER` out): the check would learn
that the sound of ghazal and qawwali is "not a genre".
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from urdu_genre_app.core.novelty import NoveltyCalibration, OtherMusicClass

#: Share of the genre windows (out of fold) the threshold lets the other-music check flag.
GENRE_FLAG_FRACTION = 0.05
#: L2 weight on the standardised-feature weights (per window, the mean loss's scale).
L2 = 0.01
#: Folds (by group) for the out-of-fold probabilities the threshold is chosen on.
FOLDS = 5


def logsumexp(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``log(sum(exp(logits)))``, shape (n, c) -> (n,), float64."""
    z = np.asarray(logits, np.float64)
    top = z.max(axis=1)
    return top + np.log(np.exp(z - top[:, None]).sum(axis=1))


def fit_other_logit(features: np.ndarray, genre_logits: np.ndarray, is_other: np.ndarray, *,
                    l2: float = L2) -> OtherMusicClass:
    """The other-music logit whose softmax beside the genre logits best tells other music from genres.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, d)
        Penultimate features.
    genre_logits : numpy.ndarray, shape (n, c)
        The model's genre logits of the same windows.
    is_other : numpy.ndarray, shape (n,), bool
        True for windows of other music.
    l2 : float
        :data:`L2`.

    Returns
    -------
    OtherMusicClass
        In the raw feature space (standardisation folded in).

    Raises
    ------
    ValueError
        One side has no window.
    """
    from scipy.optimize import minimize

    x = np.asarray(features, np.float64)
    y = np.asarray(is_other, bool).astype(np.float64)
    if y.sum() == 0 or y.sum() == y.size:
        raise ValueError("the other-music check needs windows of other music and windows of the genres")
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 1e-8, std, 1.0)  # a unit that never moves gets no weight to speak of
    z = (x - mean) / std
    offset = -logsumexp(genre_logits)
    weight = np.where(y > 0, 0.5 / y.sum(), 0.5 / (y.size - y.sum()))  # both sides weigh the same

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        margin = z @ w + b + offset
        # log(1 + exp(-m)) for other windows, log(1 + exp(m)) for genre windows, stably.
        signed = np.where(y > 0, -margin, margin)
        value = np.sum(weight * np.logaddexp(0.0, signed)) + 0.5 * l2 * (w @ w)
        p = 1.0 / (1.0 + np.exp(-margin))
        residual = weight * (p - y)
        return value, np.append(z.T @ residual + l2 * w, residual.sum())

    theta = minimize(loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B",
                     options={"maxiter": 500}).x
    w = theta[:-1] / std
    return OtherMusicClass(weights=w, bias=float(theta[-1] - w @ mean))


def grouped_out_of_fold(features: np.ndarray, genre_logits: np.ndarray, is_other: np.ndarray, groups: np.ndarray,
                        *, folds: int = FOLDS, l2: float = L2, seed: int = 0) -> np.ndarray:
    """P(other music) of every window from a fit that never saw its group, shape (n,).

    Groups are dealt to ``folds`` folds (shuffled by ``seed``, each side's
    groups spread evenly); a fold whose training part lacks one side scores
    its windows with the fit on everything else that has both.
    """
    groups = np.asarray(groups)
    y = np.asarray(is_other, bool)
    rng = np.random.default_rng(seed)
    fold_of: dict[Any, int] = {}
    for side in (True, False):  # other music's groups and the genres' dealt separately, so each fold has both
        names = sorted({g for g, o in zip(groups.tolist(), y.tolist()) if o == side} - set(fold_of))
        rng.shuffle(names)
        for number, name in enumerate(names):
            fold_of[name] = number % folds
    fold = np.array([fold_of[g] for g in groups.tolist()])
    logits = np.asarray(genre_logits, np.float64)
    out = np.zeros(len(y))
    for k in range(folds):
        held = fold == k
        if not held.any():
            continue
        check = fit_other_logit(features[~held], logits[~held], y[~held], l2=l2)
        out[held] = check.probability(features[held], logits[held])
    return out


@dataclasses.dataclass(frozen=True)
class OtherCheck:
    """A fitted other-music check and how it did out of fold.

    Attributes
    ----------
    other_class : OtherMusicClass
        Fitted on every window.
    threshold : float
        On P(other music), in (0, 1).
    report : dict
        Window and group counts, and the out-of-fold share of genre and of other windows flagged.
    """

    other_class: OtherMusicClass
    threshold: float
    report: dict[str, Any]


def fit_other_check(features: np.ndarray, genre_logits: np.ndarray, is_other: np.ndarray, groups: np.ndarray, *,
                    genre_flag_fraction: float = GENRE_FLAG_FRACTION, folds: int = FOLDS, l2: float = L2,
                    seed: int = 0) -> OtherCheck:
    """The other-music logit on every window and its threshold from out-of-fold probabilities (module docstring).

    Parameters
    ----------
    features, genre_logits, is_other, groups : numpy.ndarray
        Per window: penultimate features (n, d), genre logits (n, c), other music or not, and its group
        (the artist for real songs, the song otherwise).
    genre_flag_fraction : float
        :data:`GENRE_FLAG_FRACTION`.
    """
    y = np.asarray(is_other, bool)
    out_of_fold = grouped_out_of_fold(features, genre_logits, y, groups, folds=folds, l2=l2, seed=seed)
    threshold = float(np.quantile(out_of_fold[~y], 1.0 - genre_flag_fraction))
    threshold = float(np.clip(threshold, 1e-6, 1.0 - 1e-6))
    groups = np.asarray(groups)
    report = {
        "other_windows": int(y.sum()), "genre_windows": int((~y).sum()),
        "other_groups": len(set(groups[y].tolist())), "genre_groups": len(set(groups[~y].tolist())),
        "threshold": round(threshold, 4),
        "out_of_fold_genre_windows_flagged": round(float(np.mean(out_of_fold[~y] > threshold)), 4),
        "out_of_fold_other_windows_flagged": round(float(np.mean(out_of_fold[y] > threshold)), 4),
    }
    return OtherCheck(other_class=fit_other_logit(features, genre_logits, y, l2=l2), threshold=threshold,
                      report=report)


def combine(gaussian: NoveltyCalibration, check: OtherCheck, *, without_gaussian: bool = False) -> NoveltyCalibration:
    """One bundle check: ``gaussian``'s spaces (rescaled to the other check's threshold) and the other-music class.

    Parameters
    ----------
    gaussian : NoveltyCalibration
        :func:`training.calibrate.calibrate_keras_model`'s check (its temperature and logit layer are kept).
    check : OtherCheck
    without_gaussian : bool
        Drop the two Gaussian spaces, keep the temperature-structure check.

    Returns
    -------
    NoveltyCalibration
        Flags a window when P(other) passes ``check.threshold`` or a kept space flagged it before.
    """
    if gaussian.logit_weights is None:
        raise ValueError("the other-music check needs the model's last layer (its genre logits)")
    factor = gaussian.threshold / check.threshold  # scaled' = scaled * t_other / t_gauss

    def rescaled(space):
        return None if space is None else dataclasses.replace(space, scale=space.scale * factor)

    return dataclasses.replace(
        gaussian,
        model_space=None if without_gaussian else rescaled(gaussian.model_space),
        input_space=None if without_gaussian else rescaled(gaussian.input_space),
        structure_space=rescaled(gaussian.structure_space),
        threshold=check.threshold, other_class=check.other_class,
        fitted_on={**(gaussian.fitted_on or {}), "other_class": check.report,
                   "gaussian_spaces": not without_gaussian},
    )
