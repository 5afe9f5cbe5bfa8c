"""The ``musicnn_tags`` model family: two real-music taggers' outputs, a linear genre head, an "other music" output.

One graph, exported as one LiteRT model (log-mel window in, genre
probabilities and the 100 pooled tag logits out)::

    30 s log-mel window (1876 x 96)
      -> the patch_slots() 3 s patches (2 by default: slots 2 and 7)
      -> MSD musicnn and MTT musicnn, side by side (100 tag logits a patch)
      -> mean over the patches                       = the "features" output
      -> Dense(4, softmax)                           = the "genre" output

The head is a multinomial logistic regression (:func:`fit_head`) over five
classes, the four genres and **other music**, fitted on standardised
features; the standardisation is folded into its weights. The four genre
rows are the graph's last layer; the fifth, the "other music" logit, travels
in ``bundle.json`` as the not-a-genre check (:class:`~urdu_genre_app.core.novelty.OtherMusicClass`),
applied by the classifier in NumPy: a window's novelty is its probability of
being other music, a song is "not one of the genres" when the median over its
windows is past the threshold (:func:`novelty_check`), chosen on held-out
real songs.

Why a linear head on tags: the tags are what two networks trained on ~200,000
real songs say (rock, Hip-Hop, folk, indian, sitar, vocal, ...); a linear map
over 100 named, real-music outputs is hard to bend to a synthetic
generator's quirks, where an MLP on 200-value embeddings learned them
(docs/TRAINING.md, the real-music table).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from urdu_genre_app.core.novelty import NoveltyCalibration, OtherMusicClass, StructureShortfall
from training.errors import TrainingConfigError
from training.families import ModelFamily

#: The family's name in ``bundle.json``.
FAMILY = "musicnn_tags"
#: The genres, in output order (as every bundled model).
GENRES = ("Ghazal", "Hip-hop", "Qawwali", "Rock")
#: The head's fifth class: real music of none of the genres (outlier exposure).
OTHER = "other"
#: 3 s patches a window pools: 2 (slots 2 and 7 of 10); with :data:`HOP_WINDOWS`, classify stays
#: >= 8x the paper's way with two taggers (docs/TRAINING.md, the speed row).
DEFAULT_PATCHES = 2
#: A window starts every this many window lengths (150 s): a 5-minute song is 3 windows (0, 150 and
#: the end-aligned 270 s), 6 patches through two taggers, as many tagger runs as the musicnn bundle's 12.
HOP_WINDOWS = 5
#: Inverse L2 strength of the head (scikit-learn's ``C``), chosen by leave-artist-out validation.
DEFAULT_C = 0.1
#: Default threshold on a window's P(other music).
DEFAULT_THRESHOLD = 0.5
#: A window whose temporal structure falls short of the least structured genre's by more than this
#: quantile of the genre windows' own shortfalls (and at least :data:`STRUCTURE_MIN_SPREADS` spreads)
#: is not music (noise, clicks): the taggers alone call white noise Rock. Measured on the bundle's
#: 48 windows: the 99th percentile 1.53 spreads, white noise 1.64, a hip-hop window at most 1.89.
STRUCTURE_QUANTILE = 0.99
STRUCTURE_MIN_SPREADS = 1.0
#: ``bundle.json``'s ``architecture_options`` key for the patches a window pools (as musicnn's).
PATCHES_OPTION = "patches_per_window"


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


def fit_structure(windows: np.ndarray, labels: np.ndarray, *, threshold: float) -> StructureShortfall:
    """The one-sided temporal-structure check (:class:`~urdu_genre_app.core.novelty.StructureShortfall`) of genre windows.

    Its scale is set so that, beside P(other music) under the same
    threshold, a window is flagged when its shortfall passes the
    :data:`STRUCTURE_QUANTILE` of the genre windows' own (at least
    :data:`STRUCTURE_MIN_SPREADS` spreads).

    Parameters
    ----------
    windows : numpy.ndarray, shape (n, frames, 96)
        Log-mel windows of genre songs (the bundle's standardisation is the identity).
    labels : numpy.ndarray, shape (n,), int
        Their genres (0..3); every genre present.
    threshold : float
        The bundle's threshold on P(other music).
    """
    import dataclasses

    from training.calibrate import fit_structure_shortfall
    from training.musicnn.genre_model import musicnn_feature_params
    from urdu_genre_app.core.novelty import structure_lag_frames

    params = musicnn_feature_params(30.0)
    lag = structure_lag_frames(params.sample_rate, params.hop_length)
    space = fit_structure_shortfall(windows, labels, windows, n_classes=len(GENRES), lag_frames=lag)
    cutoff = max(float(np.quantile(space.distances(windows), STRUCTURE_QUANTILE)), STRUCTURE_MIN_SPREADS)
    return dataclasses.replace(space, scale=cutoff / threshold)


def novelty_check(head: TagHead, *, threshold: float = DEFAULT_THRESHOLD, fitted_on: dict[str, Any] | None = None,
                  flag_fraction: float = 0.0, structure: StructureShortfall | None = None) -> NoveltyCalibration:
    """The bundle's not-a-genre check: the head's "other music" logit beside its genre logits, and the structure check."""
    return NoveltyCalibration(
        model_space=None, structure_space=structure, threshold=float(threshold), flag_fraction=float(flag_fraction),
        temperature=1.0,
        logit_weights=head.weights[:, : len(GENRES)].copy(), logit_bias=head.bias[: len(GENRES)].copy(),
        other_class=OtherMusicClass(weights=head.weights[:, len(GENRES)].copy(), bias=float(head.bias[len(GENRES)])),
        fitted_on=dict(fitted_on or {}),
    )


def build_window_model(head: TagHead, *, frames: int, patches: int = DEFAULT_PATCHES, pair=None):
    """The Keras window model: log-mel window -> chosen patches -> both taggers -> mean -> genre softmax.

    Parameters
    ----------
    head : TagHead
        Its genre columns become the last layer.
    frames : int
        Frames per window (1876 for 30 s).
    patches : int
        Patches pooled (:func:`~training.musicnn.genre_model.patch_slots`).
    pair : keras.Model, optional
        :func:`~training.realmusic.tags.tag_pair_model`, reused.

    Returns
    -------
    keras.Model
        Input ``(frames, 96, 1)``; output ``(4,)`` softmax; the last layer's input is the
        pooled 100 tag logits (the bundle's ``features`` output).
    """
    import keras
    from keras import layers

    from training.musicnn.genre_model import _window_patches
    from training.realmusic.tags import tag_pair_model

    pair = pair or tag_pair_model()
    window, chosen = _window_patches(frames, patches)
    per_patch = layers.TimeDistributed(pair, name="taggers")(chosen)  # (patches, 100)
    pooled = layers.GlobalAveragePooling1D(name="tag_mean")(per_patch)
    genre = layers.Dense(len(GENRES), activation="softmax", name="genre_head")
    probabilities = genre(pooled)
    genre.set_weights([head.weights[:, : len(GENRES)].astype(np.float32),
                       head.bias[: len(GENRES)].astype(np.float32)])
    return keras.Model(window, probabilities, name="musicnn_tags_genre")


def export_family_bundle(head: TagHead, path: str | os.PathLike, *, threshold: float, patches: int = DEFAULT_PATCHES,
                         provenance: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None,
                         fitted_on: dict[str, Any] | None = None, structure: StructureShortfall | None = None):
    """Write a ``musicnn_tags`` bundle: the one LiteRT graph, its check, 30 s windows every :data:`HOP_WINDOWS` lengths.

    Returns
    -------
    ModelBundle
    """
    from training.export import export_bundle
    from training.musicnn.backbone import N_MELS
    from training.musicnn.genre_model import musicnn_feature_params

    family = MusicnnTagsFamily()
    params = musicnn_feature_params(30.0)
    policy = family.window_policy(params)
    model = build_window_model(head, frames=params.frames_per_window, patches=patches)
    return export_bundle(
        model, path, labels=list(GENRES), feature_params=params, feature_mean=np.zeros(N_MELS, np.float32),
        feature_std=np.ones(N_MELS, np.float32), window_policy=policy, architecture=FAMILY,
        architecture_options={**family.runtime_options(model), PATCHES_OPTION: int(patches)},
        provenance=provenance, metrics=metrics,
        novelty=novelty_check(head, threshold=threshold, fitted_on=fitted_on, structure=structure),
    )


class MusicnnTagsFamily(ModelFamily):
    """The ``musicnn_tags`` family in the registry (:mod:`training.families`): see the module docstring.

    Its bundles are made by ``python -m training.realmusic.build`` from the
    open-music corpus and the synthetic renderers (its "other music" class needs
    real other music, which a user's genre folder does not hold), so it is not
    offered for training from a folder, and it has no fine-tuning recipe yet:
    both say so in one line instead of running a recipe made for another family.
    """

    name = FAMILY
    title = "musicnn tags (MSD + MTT, real music)"
    note = "two taggers trained on real songs, a head chosen on real recordings"
    in_app = False
    trains_from_folder = False
    selftest = False  # trained by its own build script, not from the self-test's folder
    standardise_features = False
    costly_windows = True

    def feature_params(self, params):
        from training.musicnn.genre_model import musicnn_feature_params

        return musicnn_feature_params(params.window_seconds)

    def window_policy(self, params):
        from training.musicnn.genre_model import musicnn_window_policy

        return musicnn_window_policy(params, hop_seconds=HOP_WINDOWS * params.window_seconds)

    def runtime_options(self, model):
        return {**super().runtime_options(model), PATCHES_OPTION: DEFAULT_PATCHES}

    def train(self, config, prepared, observer, warm=None):
        raise TrainingConfigError(
            f"the {FAMILY} family is trained from the open-music corpus by python -m training.realmusic.build "
            "(docs/TRAINING.md, \"Real music\"), not from a folder; choose bn_cnn or musicnn to train on yours")

    def finetuner(self, warm, windows, relay, freeze):
        raise TrainingConfigError(
            f"{warm.bundle.path or 'this model'}: {FAMILY} models cannot be improved with corrections yet; open the "
            "bundled BN-CNN or musicnn model (File > Open model) to fine-tune one")


FAMILIES = (MusicnnTagsFamily(),)
