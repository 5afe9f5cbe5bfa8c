"""Does a window sound like any genre this model knows? And probabilities that mean what they say.

A classifier's softmax always sums to one over the genres it knows, so noise,
a tone or speech still get "Hip-hop (100%)". This module holds the check that
a bundle carries to say "not like any genre this model knows", and the
temperature that calibrates its probabilities. Both are fitted at training
time (:mod:`training.calibrate`); this side only applies them, with NumPy.

The rules, in one place:

* **Novelty score of a window**: how far the window lies from every genre
  the model was trained on, in two spaces, each measured as the Mahalanobis
  distance to the nearest genre's mean with one covariance shared by all
  genres (Lee et al. 2018, "A simple unified framework for detecting
  out-of-distribution samples"):

  - the model's penultimate features ``h`` (the input of its last layer):
    what the network makes of the window;
  - the window's MFCC summary (:func:`window_summary`: each coefficient's
    mean, spread and frame-to-frame movement over time): what the audio is
    like, whatever the network makes of it. A network trained on a few
    genres can map noise or a tone right onto one of them (its features only
    tell the genres apart); the audio's own statistics still say it is like
    none of the training songs.

  and one more, one-sided, for what has no musical time at all:

  - the window's *temporal structure* (:func:`temporal_structure`): how well
    its spectrum now predicts its spectrum :data:`STRUCTURE_LAG_SECONDS`
    later (the mean over coefficients of their autocorrelation at that lag).
    Notes, chords, beats and phrases last longer than that; noise, speech
    syllables and clicks do not. Noise lies inside the MFCC summary's
    Gaussians (every genre of a synthetic corpus has noisy drums), but its
    structure is ~0 (the bundled model's genres: 0.3 to 0.5 on average).
    Only a shortfall counts (:class:`StructureShortfall`): a drone or a
    sustained ghazal has more structure than the genre with least, which
    says nothing against it.

  Each distance is divided by its own scale (the validation windows' 95th
  percentile), the largest is taken, and that is divided by a
  threshold: the value exceeded by :data:`DEFAULT_FLAG_FRACTION` of the
  validation windows. Means and (shrunk) covariances come from the training
  windows, scales and threshold from validation windows (songs the model
  never trained on). A score above 1 (:func:`is_unknown`) is thus farther
  from every genre than all but ~5 % of held-out songs' windows.
* **Or, for a head with an "other music" output** (:class:`OtherMusicClass`,
  method :data:`METHOD_OTHER_CLASS`): the head was trained with one more
  class than the bundle's labels, real music of none of its genres (outlier
  exposure, Hendrycks et al. 2019), and a window's score is the probability
  of that class (its logit from the penultimate features beside the genres'
  logits, one softmax) divided by a threshold chosen on held-out real songs.
  The Gaussian spaces may be absent then.
* **Novelty score of a song**: the median of its voting windows' scores
  (:func:`song_novelty`): the song is unknown when more than half of its
  windows are.
* **Calibrated probabilities**: ``softmax(logits / temperature)``, the
  temperature chosen to minimise the validation windows' negative
  log-likelihood (Guo et al. 2017). The logits are recomputed from ``h`` with
  the last layer's weights (or are ``h`` itself when the last layer is a bare
  softmax), so no saturated float32 softmax is inverted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Fraction of validation windows the threshold flags (the expected false-alarm rate per window).
DEFAULT_FLAG_FRACTION = 0.05
#: Name of the LiteRT model's penultimate-feature output in a calibrated bundle.
FEATURE_OUTPUT = "features"
#: Name of its probability output.
PROBABILITY_OUTPUT = "genre"
#: Identifies the score design in bundle.json; a bundle with another is refused, never misread.
METHOD = "mahalanobis-tied-covariance/model-and-input"
#: The score design of a head with an explicit "other music" output (:class:`OtherMusicClass`).
METHOD_OTHER_CLASS = "other-class-probability/model"
#: Quantile of the validation windows' distances that scales each space's distances.
SPACE_SCALE_QUANTILE = 0.95


#: Added to standard deviations (in standardised MFCC units) before their logarithm.
LOG_STD_FLOOR = 1e-3


def window_summary(windows: np.ndarray) -> np.ndarray:
    """What a window's audio is like, whatever the model makes of it: per MFCC coefficient, the mean
    over frames, the log standard deviation over frames, and the log standard deviation of its
    frame-to-frame change.

    The spreads are taken in the log domain, where a Gaussian fits a positive scale and a sound
    that hardly changes (a steady hum, noise) lies far below music instead of just under it; the
    change between frames measures the movement (notes, beats, syllables) that the level and
    timbre alone do not show.

    Parameters
    ----------
    windows : numpy.ndarray, shape (n, frames, n_mfcc) or (n, frames, n_mfcc, 1)
        Standardised MFCC images, as the model sees them.

    Returns
    -------
    numpy.ndarray, shape (n, 3 * n_mfcc), float64
    """
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim == 4:
        x = x[..., 0]
    spread = np.log(x.std(axis=1) + LOG_STD_FLOOR)
    movement = np.log(np.diff(x, axis=1).std(axis=1) + LOG_STD_FLOOR)
    return np.concatenate([x.mean(axis=1), spread, movement], axis=1)


#: Lag of :func:`temporal_structure`: a beat subdivision at 75 bpm, shorter than a held note.
STRUCTURE_LAG_SECONDS = 0.2


def structure_lag_frames(sample_rate: int, hop_length: int) -> int:
    """:data:`STRUCTURE_LAG_SECONDS` in feature frames (at least 1)."""
    return max(1, int(round(STRUCTURE_LAG_SECONDS * sample_rate / hop_length)))


def temporal_structure(windows: np.ndarray, lag_frames: int) -> np.ndarray:
    """How much each window's features ``lag_frames`` later follow from its features now.

    The mean over coefficients of each coefficient's autocorrelation at that
    lag (over the window's frames). White noise gives ~0, a steady note ~1,
    music in between; a window whose coefficient does not move at all (a pure
    tone) gives 0 for it.

    Parameters
    ----------
    windows : numpy.ndarray, shape (n, frames, n_features) or (n, frames, n_features, 1)
        Standardised feature images, as the model sees them.
    lag_frames : int
        The lag (:func:`structure_lag_frames`); fewer than ``lag_frames + 2`` frames give 0.

    Returns
    -------
    numpy.ndarray, shape (n,), float64
    """
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim == 4:
        x = x[..., 0]
    if x.shape[1] < lag_frames + 2:
        return np.zeros(x.shape[0])
    centred = x - x.mean(axis=1, keepdims=True)
    covariance = (centred[:, lag_frames:] * centred[:, :-lag_frames]).mean(axis=1)
    variance = centred.var(axis=1)
    # A coefficient that never moves (variance at float rounding) has no structure, not an undefined one.
    correlation = np.where(variance > 1e-10, covariance / np.maximum(variance, 1e-10), 0.0)
    return correlation.mean(axis=1)


@dataclass(frozen=True)
class StructureShortfall:
    """How far a window's :func:`temporal_structure` falls short of every genre's (one-sided).

    Distance ``max(0, lowest_mean - structure) / spread``: zero for any
    window with as much structure as the genre that has least, growing as the
    window approaches noise.

    Attributes
    ----------
    lag_frames : int
        :func:`temporal_structure`'s lag for this bundle's frame rate.
    lowest_mean : float
        The lowest genre mean of the training windows' structure.
    spread : float
        Pooled within-genre standard deviation of it.
    scale : float
        Divides the distance (the validation windows' 95th percentile), as in :class:`GaussianClasses`.
    """

    lag_frames: int
    lowest_mean: float
    spread: float
    scale: float = 1.0

    def distances(self, windows: np.ndarray) -> np.ndarray:
        """Shortfall in spreads, shape (n, frames, n_features) -> (n,), float64."""
        return np.maximum(0.0, self.lowest_mean - temporal_structure(windows, self.lag_frames)) / self.spread

    def scaled(self, windows: np.ndarray) -> np.ndarray:
        """:meth:`distances` divided by :attr:`scale`."""
        return self.distances(windows) / self.scale

    def to_dict(self) -> dict[str, Any]:
        return {"lag_frames": int(self.lag_frames), "lowest_mean": float(self.lowest_mean),
                "spread": float(self.spread), "scale": float(self.scale)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StructureShortfall":
        """Parse and check :meth:`to_dict`'s form (``ValueError`` when wrong)."""
        space = cls(lag_frames=int(data["lag_frames"]), lowest_mean=float(data["lowest_mean"]),
                    spread=float(data["spread"]), scale=float(data.get("scale", 1.0)))
        if space.lag_frames < 1 or not np.isfinite(space.lowest_mean) or not space.spread > 0 or not space.scale > 0:
            raise ValueError("structure_space: lag_frames must be >= 1, lowest_mean finite, spread and scale positive")
        return space


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shape (n, c) -> (n, c), computed stably in float64, returned float32."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def is_unknown(score: float | None) -> bool | None:
    """True when a (window or song) novelty score is past the threshold; None when unavailable."""
    return None if score is None else bool(score > 1.0)


def song_novelty(window_scores: list[float | None]) -> float | None:
    """A song's novelty score: the median of its voting windows' scores.

    Parameters
    ----------
    window_scores : list of float or None
        One per voting (non-silent) window; None where the check is unavailable.

    Returns
    -------
    float or None
        None when there are no scores or any is unavailable.
    """
    if not window_scores or any(s is None for s in window_scores):
        return None
    return float(np.median(np.asarray(window_scores, dtype=np.float64)))


@dataclass(frozen=True)
class GaussianClasses:
    """Genres as Gaussians with one shared covariance, in one feature space.

    Attributes
    ----------
    class_means : numpy.ndarray, shape (n_classes, d), float64
        Mean of each genre's training windows.
    precision : numpy.ndarray, shape (d, d), float64
        Inverse of the shared, shrunk covariance of the training windows around their class means.
    scale : float
        Distance that divides this space's distances (the validation windows' 95th percentile), so
        that spaces of different size can be compared.
    shrinkage : float
        How much the covariance was shrunk towards the identity when fitted (provenance only).
    """

    class_means: np.ndarray
    precision: np.ndarray
    scale: float = 1.0
    shrinkage: float = 0.0

    @property
    def size(self) -> int:
        """Dimension ``d``."""
        return int(self.class_means.shape[1])

    def distances(self, points: np.ndarray) -> np.ndarray:
        """Mahalanobis distance to the nearest class mean, shape (n, d) -> (n,), float64."""
        x = np.asarray(points, dtype=np.float64)
        diff = x[:, None, :] - self.class_means[None, :, :]  # (n, c, d)
        squared = np.einsum("ncd,de,nce->nc", diff, self.precision, diff)
        return np.sqrt(np.maximum(squared.min(axis=1), 0.0))

    def scaled(self, points: np.ndarray) -> np.ndarray:
        """:meth:`distances` divided by :attr:`scale`, shape (n, d) -> (n,)."""
        return self.distances(points) / self.scale

    def to_dict(self) -> dict[str, Any]:
        return {"class_means": self.class_means.tolist(), "precision": self.precision.tolist(),
                "scale": float(self.scale), "shrinkage": float(self.shrinkage)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, n_classes: int, name: str) -> "GaussianClasses":
        """Parse and check :meth:`to_dict`'s form (``ValueError`` naming ``name`` when wrong)."""
        means = np.asarray(data["class_means"], dtype=np.float64)
        precision = np.asarray(data["precision"], dtype=np.float64)
        if means.ndim != 2 or means.shape[0] != n_classes:
            raise ValueError(f"{name}: class_means must have one row per label ({n_classes}), got {means.shape}")
        d = means.shape[1]
        if precision.shape != (d, d):
            raise ValueError(f"{name}: precision must be {d} x {d}, got {precision.shape}")
        scale = float(data.get("scale", 1.0))
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(precision)) and scale > 0):
            raise ValueError(f"{name}: values must be finite and the scale positive")
        return cls(class_means=means, precision=precision, scale=scale,
                   shrinkage=float(data.get("shrinkage", 0.0)))


@dataclass(frozen=True)
class OtherMusicClass:
    """The head's "none of these genres" output, trained on real music of no genre the model names.

    Its logit is ``h @ weights + bias`` from the penultimate features ``h``;
    beside the genres' logits (:meth:`NoveltyCalibration.logits`) one softmax
    gives its probability, a window's novelty before the threshold.

    Attributes
    ----------
    weights : numpy.ndarray, shape (d,), float64
    bias : float
    """

    weights: np.ndarray
    bias: float = 0.0

    def probability(self, features: np.ndarray, genre_logits: np.ndarray) -> np.ndarray:
        """P(other music) of each window, shapes (n, d) and (n, c) -> (n,), float64."""
        other = np.asarray(features, np.float64) @ self.weights + self.bias
        logits = np.concatenate([np.asarray(genre_logits, np.float64), other[:, None]], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e[:, -1] / e.sum(axis=1)

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.tolist(), "bias": float(self.bias)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, size: int) -> "OtherMusicClass":
        """Parse and check :meth:`to_dict`'s form (``ValueError`` when wrong)."""
        weights = np.asarray(data["weights"], dtype=np.float64)
        bias = float(data.get("bias", 0.0))
        if weights.shape != (size,) or not np.all(np.isfinite(weights)) or not np.isfinite(bias):
            raise ValueError(f"other_class: weights must be {size} finite values and the bias finite")
        return cls(weights=weights, bias=bias)


@dataclass(frozen=True)
class NoveltyCalibration:
    """The fitted check and temperature a bundle stores (``bundle.json`` key ``"novelty"``).

    Attributes
    ----------
    model_space : GaussianClasses or None
        The genres in the model's penultimate feature space (``d`` = its width); None only
        with :attr:`other_class` (method :data:`METHOD_OTHER_CLASS`).
    input_space : GaussianClasses or None
        The genres in :func:`window_summary` space; None to judge by the model's features alone.
    structure_space : StructureShortfall or None
        The one-sided temporal-structure check; None in bundles fitted before it (they judge by the
        other two spaces, as they always did).
    threshold : float
        Combined scaled distance that :attr:`flag_fraction` of the validation windows exceed.
    flag_fraction : float
        That fraction, as measured on the validation windows (~0.05).
    temperature : float
        Divides the logits before the softmax (> 1 softens an overconfident model).
    logit_weights : numpy.ndarray of shape (d, n_classes), or None
        The last layer's kernel; None when ``h`` already are the logits.
    logit_bias : numpy.ndarray of shape (n_classes,), or None
        The last layer's bias.
    fitted_on : dict
        What it was fitted on (window counts, shrinkage, ...), for provenance.
    other_class : OtherMusicClass or None
        The head's "other music" output; its probability is a window's score (before the
        threshold), or part of the largest with the Gaussian spaces when they are set.
    """

    model_space: GaussianClasses | None
    threshold: float
    flag_fraction: float
    input_space: GaussianClasses | None = None
    structure_space: StructureShortfall | None = None
    temperature: float = 1.0
    logit_weights: np.ndarray | None = None
    logit_bias: np.ndarray | None = None
    fitted_on: dict[str, Any] | None = None
    other_class: OtherMusicClass | None = None

    @property
    def feature_size(self) -> int:
        """Length ``d`` of the penultimate feature vector."""
        if self.model_space is not None:
            return self.model_space.size
        return int(self.other_class.weights.size)

    @property
    def n_classes(self) -> int:
        if self.model_space is not None:
            return int(self.model_space.class_means.shape[0])
        return int(self.logit_weights.shape[1])

    @property
    def method(self) -> str:
        """:data:`METHOD`, or :data:`METHOD_OTHER_CLASS` for a check by an "other music" output."""
        return METHOD if self.other_class is None else METHOD_OTHER_CLASS

    def combined(self, features: np.ndarray, windows: np.ndarray | None = None) -> np.ndarray:
        """The largest scaled distance of the spaces (before the threshold), shape (n,), float64.

        Parameters
        ----------
        features : numpy.ndarray, shape (n, d)
            Penultimate features.
        windows : numpy.ndarray, shape (n, frames, n_mfcc), optional
            The standardised MFCC windows; required when :attr:`input_space` or
            :attr:`structure_space` is set.
        """
        features = np.asarray(features, dtype=np.float64)
        score = np.zeros(len(features))
        if self.model_space is not None:
            score = self.model_space.scaled(features)
        if self.other_class is not None:
            score = np.maximum(score, self.other_class.probability(features, self.logits(features)))
        if self.input_space is not None or self.structure_space is not None:
            if windows is None:
                raise ValueError("this novelty check also needs the MFCC windows")
        if self.input_space is not None:
            score = np.maximum(score, self.input_space.scaled(window_summary(windows)))
        if self.structure_space is not None:
            score = np.maximum(score, self.structure_space.scaled(windows))
        return score

    def scores(self, features: np.ndarray, windows: np.ndarray | None = None) -> np.ndarray:
        """Novelty scores (> 1 is unknown), shape (n,), float64; arguments as :meth:`combined`."""
        return self.combined(features, windows) / self.threshold

    def logits(self, features: np.ndarray) -> np.ndarray:
        """The model's logits recomputed from its penultimate features, shape (n, d) -> (n, c)."""
        h = np.asarray(features, dtype=np.float64)
        if self.logit_weights is None:
            return h
        return h @ self.logit_weights + (self.logit_bias if self.logit_bias is not None else 0.0)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Temperature-scaled probabilities, shape (n, d) -> (n, c), float32."""
        return softmax(self.logits(features) / self.temperature)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (lists of floats)."""
        return {
            "method": self.method,
            "feature_output": FEATURE_OUTPUT,
            "model_space": None if self.model_space is None else self.model_space.to_dict(),
            "input_space": None if self.input_space is None else self.input_space.to_dict(),
            "structure_space": None if self.structure_space is None else self.structure_space.to_dict(),
            "threshold": float(self.threshold),
            "flag_fraction": float(self.flag_fraction),
            "temperature": float(self.temperature),
            "logit_weights": None if self.logit_weights is None else self.logit_weights.tolist(),
            "logit_bias": None if self.logit_bias is None else self.logit_bias.tolist(),
            "fitted_on": dict(self.fitted_on or {}),
            **({"other_class": self.other_class.to_dict()} if self.other_class is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, n_classes: int) -> "NoveltyCalibration":
        """Parse and check :meth:`to_dict`'s form.

        Raises
        ------
        ValueError
            Unknown method, wrong shapes, or values that are not finite and positive where they must be.
        """
        if not isinstance(data, dict) or data.get("method") not in (METHOD, METHOD_OTHER_CLASS):
            raise ValueError(f"unknown novelty method {data.get('method') if isinstance(data, dict) else data!r}")
        model_space = None
        if data["method"] == METHOD or data.get("model_space") is not None:
            model_space = GaussianClasses.from_dict(data["model_space"], n_classes=n_classes, name="model_space")
        weights = data.get("logit_weights")
        if model_space is not None:
            d = model_space.size
        elif weights is not None and len(weights) > 0:
            d = len(weights)
        else:
            raise ValueError("an other-class check needs the genres' logit_weights")
        other_class = None
        if data["method"] == METHOD_OTHER_CLASS:
            if data.get("other_class") is None:
                raise ValueError("an other-class check needs its other_class output")
            other_class = OtherMusicClass.from_dict(data["other_class"], size=d)
        input_space = None
        if data.get("input_space") is not None:
            input_space = GaussianClasses.from_dict(data["input_space"], n_classes=n_classes, name="input_space")
        structure_space = None
        if data.get("structure_space") is not None:
            structure_space = StructureShortfall.from_dict(data["structure_space"])
        bias = data.get("logit_bias")
        weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        bias = None if bias is None else np.asarray(bias, dtype=np.float64)
        if weights is not None and weights.shape != (d, n_classes):
            raise ValueError(f"logit_weights must be {d} x {n_classes}, got {weights.shape}")
        if weights is None and d != n_classes:
            raise ValueError("without logit_weights the features must be the logits")
        if bias is not None and bias.shape != (n_classes,):
            raise ValueError(f"logit_bias must have {n_classes} values, got {bias.shape}")
        threshold = float(data["threshold"])
        temperature = float(data.get("temperature", 1.0))
        arrays = [a for a in (weights, bias) if a is not None]
        if not all(np.all(np.isfinite(a)) for a in arrays) or not threshold > 0 or not temperature > 0:
            raise ValueError("values must be finite, and threshold and temperature positive")
        return cls(
            model_space=model_space,
            input_space=input_space,
            structure_space=structure_space,
            threshold=threshold,
            flag_fraction=float(data.get("flag_fraction", DEFAULT_FLAG_FRACTION)),
            temperature=temperature,
            logit_weights=weights,
            logit_bias=bias,
            fitted_on=dict(data.get("fitted_on") or {}),
            other_class=other_class,
        )
