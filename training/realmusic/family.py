"""The ``musicnn_tags`` model family: two real-music taggers' outputs, a linear genre head, an "other music" output.

One graph, exported as one LiteRT model (log-mel window in, genre
probabilities and the 100 pooled tag logits out)::

    30 s log-mel window (1876 x 96)
      -> the patch_slots() 3 s patches (2 by default: slots 2 and 7)
      -> MSD musicnn and MTT musicnn, side by side (100 tag logits a patch)
      -> mean over the patches                       = the "features" output
      -> Dense(4, softmax)                           = the "genre" output

The head is a multinomial logistic regression (:func:`~training.realmusic.head.fit_head`) over five
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
from typing import Any

import numpy as np

from urdu_genre_app.core.novelty import NoveltyCalibration, OtherMusicClass, StructureShortfall
from training.errors import TrainingConfigError
from training.families import ModelFamily
from training.realmusic.head import GENRES, TagHead

#: The family's name in ``bundle.json``.
FAMILY = "musicnn_tags"
#: 3 s patches a window pools: 2 (slots 2 and 7 of 10); with :data:`HOP_WINDOWS`, classify stays
#: >= 8x the paper's way with two taggers (docs/TRAINING.md, the speed row).
DEFAULT_PATCHES = 2
#: A window starts every this many window lengths (150 s): a 5-minute song is 3 windows (0, 150 and
#: the end-aligned 270 s), 6 patches through two taggers, as many tagger runs as the musicnn bundle's 12.
HOP_WINDOWS = 5
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
#: ``PreparedFeatures.cache`` keys of a fine-tune: every window's pooled tag logits ``(n, 100)``, and the
#: bundle's Keras model whose taggers every fold's model reuses.
TAG_FEATURES = "musicnn_tags_features"
BASE_MODEL = "musicnn_tags_base_model"


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
    offered for training from a folder (it says so in one line). A bundle of it
    is fine-tuned ("Improve", ``--init-from``) by refitting its head on the
    windows' tag logits, pulled toward the bundle's (:mod:`training.realmusic.finetune`).
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

    def train(self, config, prepared, observer, warm=None):
        """With ``warm`` (``--init-from`` a bundle of this family): refit its head on the windows' tag logits.

        The taggers are frozen (``freeze`` does not apply); every window is tagged
        once by the bundle's graph (kept in ``prepared.cache``) and the head is
        refitted pulled toward the bundle's (:mod:`training.realmusic.finetune`).
        Without ``warm`` it refuses: its bundles are built from the open-music corpus.
        """
        if warm is None:
            raise TrainingConfigError(
                f"the {FAMILY} family is trained from the open-music corpus by python -m training.realmusic.build "
                "(docs/TRAINING.md, \"Real music\"), not from a folder; choose bn_cnn or musicnn to train on yours, "
                f"or fine-tune a {FAMILY} bundle with --init-from")
        import time

        from training.export import keras_model_from_bundle
        from training.observer import report_log
        from training.pipeline import cancel_check
        from training.realmusic.finetune import bundle_head, fit_record, refit_head, widened_head, window_model

        if TAG_FEATURES not in prepared.cache:
            from training.realmusic.finetune import embed_windows

            report_log(observer, f"{FAMILY}: tagging {len(prepared.windows)} windows with the bundle's frozen "
                                 "taggers (once)")
            prepared.cache[TAG_FEATURES] = embed_windows(warm.bundle, prepared.windows.features,
                                                         on_progress=cancel_check(observer, "fit"))
            prepared.cache[BASE_MODEL] = keras_model_from_bundle(warm.bundle)
        rows = prepared.split.train
        started = time.perf_counter()
        prior = widened_head(bundle_head(warm.bundle), len(warm.labels))
        head, figures = refit_head(prior, prepared.cache[TAG_FEATURES][rows], prepared.windows.label[rows])
        model = window_model(prepared.cache[BASE_MODEL], head)
        # The Keras graph holds the genre columns only; the check needs the "other music" column and the
        # bundle's check too, so they travel with the model to novelty_check().
        clean = rows[prepared.windows.copy[rows] == 0]
        model.tag_head, model.base_check = head, warm.bundle.novelty
        model.tagged_training = (prepared.cache[TAG_FEATURES][clean], prepared.windows.label[clean])
        return model, fit_record(model, figures, time.perf_counter() - started, len(rows))

    def predict(self, model, prepared, rows):
        """The head on the cached tag logits (the taggers are not run again)."""
        from training.realmusic.finetune import genre_probabilities

        if TAG_FEATURES not in prepared.cache or getattr(model, "tag_head", None) is None:
            return super().predict(model, prepared, rows)
        return genre_probabilities(model.tag_head, prepared.cache[TAG_FEATURES][rows]).astype(np.float32)

    def novelty_check(self, model, *, params, train, validation, n_classes, fitted_on=""):
        """The fine-tuned head's check: the bundle's, with its refitted "other music" column (threshold and structure check kept)."""
        from training.realmusic.finetune import refitted_check

        head = getattr(model, "tag_head", None)
        if head is None:
            return None, {"unavailable": f"{FAMILY} checks are fitted by python -m training.realmusic.build"}
        # The clean training windows' tag logits, computed once by train() (the same as ``train``'s windows).
        features, labels = model.tagged_training
        return refitted_check(model.base_check, head, features, labels,
                              fitted_on=fitted_on or "the songs of the fine-tune's training split")

    def runtime_options(self, model):
        try:  # the patches the graph pools, as built (a fine-tune keeps its bundle's)
            patches = int(model.get_layer("taggers").input.shape[1])
        except (ValueError, AttributeError, TypeError):
            patches = DEFAULT_PATCHES
        return {**super().runtime_options(model), PATCHES_OPTION: patches}

    def finetuner(self, warm, windows, relay, freeze):
        from training.realmusic.finetune import TagHeadTuner

        return TagHeadTuner(self, warm, windows, relay, freeze)


FAMILIES = (MusicnnTagsFamily(),)
