"""The ``musicnn`` model family: the MSD musicnn's embeddings of a window's 3 s patches, pooled, then a genre head.

One classified window (30 s by default: 1876 log-mel frames at 16 kHz) holds
10 consecutive 187-frame (3 s) patch *slots* (the last 6 frames, 0.1 s, are
left out). Some of them, evenly spread (:func:`patch_slots`, the one rule),
go through the pretrained backbone (:mod:`training.musicnn.backbone`), which
turns each into its 200-value penultimate embedding; the embeddings are pooled
over the window (mean and max), and a small head (Dropout -> Dense 64 ReLU ->
Dense softmax) names the genre.

How many patches a window pools is the head's input size, so a bundle's model
carries it (its Keras and LiteRT graphs pick the slots themselves) and its
``bundle.json`` records it (``architecture_options.patches_per_window``,
:func:`bundle_patches`). Bundles from before the setting pooled all 10 slots
and still do. The backbone is the whole cost of classifying (~1.4 G
multiply-adds a patch), so fewer patches is proportionally faster.

Training keeps the backbone frozen, so the embeddings are computed once per
window (:func:`window_embeddings`) and only the head is fitted on them
(:func:`build_head`). Training embeds every slot of its windows and fits the
head on the pooled embeddings of random subsets of as many patches as the
model pools (:func:`random_patch_subsets`, :data:`SUBSETS_PER_WINDOW` draws
a window an epoch), so that it does not learn the few fixed slots of its few
training windows by heart; it is validated, and the exported model
classifies, on the fixed :func:`patch_slots` (:func:`slot_embeddings`); :func:`assemble_genre_model` then joins backbone and
head into the one Keras model that is exported as one LiteRT model (log-mel
in, genre probabilities out), so classifying stays TensorFlow-free.
``unfreeze_last_block`` instead fits the whole window model with the last
mid-end convolution trainable.

The backbone has its own input BatchNorm, so the bundle's feature
standardisation is the identity (mean 0, std 1 per band).
"""

from __future__ import annotations

import numpy as np

from urdu_genre_app.core.features import FEATURE_LOG_MEL, FeatureParams
from urdu_genre_app.core.inference import PATCHES_PER_WINDOW_OPTION
from training.models import OUTPUT_LAYER_NAME
from training.musicnn.backbone import (
    EMBEDDING_UNITS,
    HOP_LENGTH,
    LAST_BLOCK_LAYERS,
    N_FFT,
    N_MELS,
    PATCH_FRAMES,
    SAMPLE_RATE,
    build_backbone,
    load_weights,
)

#: Units of the head's hidden layer.
HEAD_UNITS = 64
#: Dropout before the head's hidden layer.
HEAD_DROPOUT = 0.3
#: Windows per backbone call when computing embeddings.
EMBEDDING_BATCH = 8
#: Patches a new model pools per window (of a 30 s window's 10 slots): see :func:`patch_slots`.
#: With :data:`HOP_WINDOWS`, 12 patches for a 5-minute song instead of 100. Heads fitted on the fixed
#: slots alone lost 2-5 of the 32 independent songs; fitted on random subsets
#: (:func:`random_patch_subsets`) they lost 1 (docs/TRAINING.md).
DEFAULT_PATCHES = 3
#: ``bundle.json``'s ``architecture_options`` key for the patches a window pools (the classifier reads it).
PATCHES_OPTION = PATCHES_PER_WINDOW_OPTION
#: A new bundle's windows start every this many window lengths (90 s for 30 s windows), so a
#: 5-minute song is 4 windows, 12 patches: one 3 s patch every ~25 s, the end always included
#: (the window rule aligns the last window to it). Inference only; training draws its windows
#: at random as for every family.
HOP_WINDOWS = 3
#: Random patch subsets each training window gives the head per epoch (:func:`random_patch_subsets`):
#: its rows are repeated this many times and every repeat draws its own subset.
SUBSETS_PER_WINDOW = 4
#: Name of the head inside a musicnn window model (:func:`build_head`, :func:`assemble_genre_model`).
HEAD_NAME = "musicnn_head"


def musicnn_feature_params(window_seconds: float = 30.0) -> FeatureParams:
    """The log-mel parameters musicnn was trained with, for windows of ``window_seconds``."""
    return FeatureParams(
        sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS, feature=FEATURE_LOG_MEL,
        window_seconds=window_seconds,
    )


def musicnn_window_policy(params: FeatureParams, **overrides):
    """The window policy a new musicnn bundle stores: hop :data:`HOP_WINDOWS` window lengths.

    Bundles made before it kept a hop of one window (no overlap) and still do:
    the policy travels in the bundle.
    """
    from urdu_genre_app.core.windows import WindowPolicy

    return WindowPolicy.for_features(params, **{"hop_seconds": HOP_WINDOWS * params.window_seconds, **overrides})


def patches_per_window(frames: int) -> int:
    """Whole 187-frame patches in a window of ``frames`` frames (10 for 1876).

    Raises
    ------
    ValueError
        The window is shorter than one patch (3 s).
    """
    count = frames // PATCH_FRAMES
    if count < 1:
        raise ValueError(f"a musicnn window needs at least {PATCH_FRAMES} frames (3 s), got {frames}")
    return count


def patch_slots(frames: int, patches: int | None = None) -> tuple[int, ...]:
    """Which 187-frame patch slots of a window are embedded: ``patches`` of them, evenly spread.

    The one rule training's embeddings and the exported graph both follow.
    Slot ``i`` (of ``n = patches_per_window(frames)``) is
    ``floor((i + 0.5) * n / patches)``: the middle of each of ``patches``
    equal spans, so 2 of 10 are slots 2 and 7, 3 are 1, 5, 8, and ``patches
    >= n`` (or None) is every slot, the rule of bundles made before it.

    Parameters
    ----------
    frames : int
        Frames per window (``FeatureParams.frames_per_window``).
    patches : int, optional
        Patches to pool; None for all.

    Returns
    -------
    tuple of int
        Increasing slot indices; slot ``k`` covers frames ``[187 k, 187 (k + 1))``.

    Raises
    ------
    ValueError
        ``patches`` is below 1, or the window is shorter than one patch.
    """
    count = patches_per_window(frames)
    if patches is None or patches >= count:
        return tuple(range(count))
    if patches < 1:
        raise ValueError(f"a musicnn window must pool at least one patch, not {patches}")
    return tuple(int((i + 0.5) * count / patches) for i in range(patches))


def slot_embeddings(every_slot: np.ndarray, patches: int | None) -> np.ndarray:
    """The embeddings of the :func:`patch_slots` a model pools, out of those of every slot of each window.

    What the exported graph computes for the head, so what validation and
    testing score (training draws :func:`random_patch_subsets` instead).

    Parameters
    ----------
    every_slot : numpy.ndarray, shape (n, slots, 200)
        :func:`window_embeddings` with ``patches=None``.
    patches : int or None
        Patches the model pools (None: all).

    Returns
    -------
    numpy.ndarray, shape (n, len(patch_slots(...)), 200)
        A copy, in slot order.
    """
    count = every_slot.shape[1]
    # patch_slots counts slots from frames: any frame count with `count` whole patches gives the same rule.
    return every_slot[:, list(patch_slots(count * PATCH_FRAMES, patches))]


def random_patch_subsets(every_slot: np.ndarray, patches: int, rng: np.random.Generator) -> np.ndarray:
    """Each window's embeddings of ``patches`` distinct slots drawn at random: a training batch for the head.

    Every row draws its own subset, uniformly among the ``C(slots,
    patches)`` (120 of 10 choose 3), kept in slot order. The head pools them
    (mean and max over patches), so it learns a window's genre from any few
    of its 3 s patches rather than from the fixed slots alone.

    Parameters
    ----------
    every_slot : numpy.ndarray, shape (n, slots, 200) or (n, slots, 200, 1)
        Embeddings of every slot of each window (a trailing channel axis is carried along).
    patches : int
        Slots a subset holds (at most ``slots``).
    rng : numpy.random.Generator
        The draw's source (seeded by the fit).

    Returns
    -------
    numpy.ndarray, shape (n, patches, ...)
    """
    count = every_slot.shape[1]
    if not 1 <= patches <= count:
        raise ValueError(f"a subset of 1-{count} patches, not {patches}")
    chosen = np.sort(np.argsort(rng.random((len(every_slot), count)), axis=1)[:, :patches], axis=1)
    index = chosen.reshape(chosen.shape + (1,) * (every_slot.ndim - 2))
    return np.take_along_axis(every_slot, index, axis=1)


def bundle_patches(bundle) -> int:
    """Patches per window a musicnn bundle's model pools (all of them for bundles older than the setting)."""
    options = getattr(bundle, "architecture_options", None) or {}
    frames = bundle.feature_params.frames_per_window
    return len(patch_slots(frames, options.get(PATCHES_OPTION)))


def _embedding_model(weights=None):
    """The pretrained backbone's penultimate output alone: (batch, 187, 96) -> (batch, 200)."""
    import keras

    backbone = build_backbone()
    load_weights(backbone, weights)
    return keras.Model(backbone.input, backbone.outputs[0], name="musicnn_embedding")


def _window_patches(frames: int, patches: int | None = None):
    """Layers from a window ``(frames, 96, 1)`` to its chosen patches ``(len(slots), 187, 96)`` (:func:`patch_slots`)."""
    import keras
    from keras import layers

    slots = patch_slots(frames, patches)
    window = keras.Input(shape=(frames, N_MELS, 1), name="log_mel")
    if slots == tuple(range(patches_per_window(frames))):  # every slot: the graph of the first bundles
        x = layers.Cropping2D(((0, frames - len(slots) * PATCH_FRAMES), (0, 0)), name="whole_patches")(window)
        return window, layers.Reshape((len(slots), PATCH_FRAMES, N_MELS), name="patches")(x)
    # Built-in layers only (a Lambda would be refused by safe-mode loading): one crop per slot.
    crops = [
        layers.Reshape((1, PATCH_FRAMES, N_MELS), name=f"patch_{slot}")(
            layers.Cropping2D(((slot * PATCH_FRAMES, frames - (slot + 1) * PATCH_FRAMES), (0, 0)),
                              name=f"crop_{slot}")(window)
        )
        for slot in slots
    ]
    return window, crops[0] if len(crops) == 1 else layers.Concatenate(axis=1, name="patches")(crops)


def build_head(num_patches: int, num_classes: int):
    """The trainable head: patch embeddings ``(num_patches, 200, 1)`` -> genre probabilities.

    The trailing axis of 1 is the channel axis every family's training
    windows carry (:func:`training.fit.fit_keras_model` adds it).

    Returns
    -------
    keras.Model
        Uncompiled; ``(400 + 1) * 64 + 65 * num_classes`` parameters.
    """
    import keras
    from keras import layers

    embeddings = keras.Input(shape=(num_patches, EMBEDDING_UNITS, 1), name="embeddings")
    x = layers.Reshape((num_patches, EMBEDDING_UNITS), name="patch_embeddings")(embeddings)
    pooled = layers.Concatenate(name="window_pool")(
        [layers.GlobalAveragePooling1D(name="patch_mean")(x), layers.GlobalMaxPooling1D(name="patch_max")(x)]
    )
    x = layers.Dropout(HEAD_DROPOUT, name="head_dropout")(pooled)
    x = layers.Dense(HEAD_UNITS, activation="relu", name="head_hidden")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name=OUTPUT_LAYER_NAME)(x)
    return keras.Model(embeddings, outputs, name=HEAD_NAME)


def assemble_genre_model(head, *, frames: int, embedding=None, weights=None, unfreeze_last_block: bool = False):
    """One model from a window's log-mel to genre probabilities: patches -> backbone -> head.

    Parameters
    ----------
    head : keras.Model
        From :func:`build_head` (trained or not).
    frames : int
        Frames per window (``FeatureParams.frames_per_window``).
    embedding : keras.Model, optional
        The embedding model to reuse (built from the shipped weights if None).
    weights : str or os.PathLike, optional
        Backbone weights file (default: the shipped one).
    unfreeze_last_block : bool
        Leave the last mid-end convolution and its BatchNorm trainable.

    Returns
    -------
    keras.Model
        Input ``(frames, 96, 1)``, output ``(num_classes,)`` softmax; named ``musicnn_genre``. It
        embeds the :func:`patch_slots` of as many patches as the head pools.
    """
    import keras
    from keras import layers

    embedding = embedding or _embedding_model(weights)
    for layer in embedding.layers:
        layer.trainable = unfreeze_last_block and layer.name in LAST_BLOCK_LAYERS
    window, patches = _window_patches(frames, head_patches(head))
    per_patch = layers.TimeDistributed(embedding, name="backbone")(patches)  # (patches, 200)
    probabilities = head(layers.Reshape((*per_patch.shape[1:], 1), name="to_head")(per_patch))
    return keras.Model(window, probabilities, name="musicnn_genre")


def fit_head(head, every_slot: np.ndarray, labels: np.ndarray, *, train_rows: np.ndarray,
             validation_rows: np.ndarray, fit, observer=None):
    """Fit a head (:func:`build_head`) on windows' embeddings of every slot: the one musicnn head recipe.

    Each training window is repeated :data:`SUBSETS_PER_WINDOW` times and every
    repeat pools a fresh :func:`random_patch_subsets` draw of as many patches as
    the head takes; validation windows pool the fixed slots the exported graph
    embeds (:func:`slot_embeddings`). SpecAugment is off (it masks time and mel
    bands: meaningless on embeddings). Training from scratch
    (:mod:`training.pipeline`) and fine-tuning (:mod:`training.finetune`) both
    fit a head this way.

    Parameters
    ----------
    head : keras.Model
    every_slot : numpy.ndarray, shape (n, slots, 200), float32
        :func:`window_embeddings` with ``patches=None``.
    labels : numpy.ndarray, shape (n,), int
    train_rows, validation_rows : numpy.ndarray, int
    fit : training.fit.FitConfig
    observer : TrainingObserver, optional

    Returns
    -------
    training.fit.FitResult
    """
    import dataclasses

    from training.fit import fit_keras_model

    patches = head_patches(head)
    fit = dataclasses.replace(fit, spec_augment=dataclasses.replace(fit.spec_augment, enabled=False))
    return fit_keras_model(
        head, x_train=np.repeat(every_slot[train_rows], SUBSETS_PER_WINDOW, axis=0),
        y_train=np.repeat(labels[train_rows], SUBSETS_PER_WINDOW),
        x_validation=slot_embeddings(every_slot[validation_rows], patches), y_validation=labels[validation_rows],
        config=fit, observer=observer, batch_transform=lambda batch, rng: random_patch_subsets(batch, patches, rng),
    )


def head_patches(head) -> int:
    """Patches per window a head (:func:`build_head`) pools: its input's first axis."""
    return int(head.input_shape[1])


def build_musicnn_classifier(input_shape: tuple[int, int, int], num_classes: int, *, patches: int | None = None,
                             unfreeze_last_block=False):
    """A fresh ``musicnn`` window model (pretrained backbone, untrained head), for :mod:`training.models`.

    ``patches`` per window (default :data:`DEFAULT_PATCHES`; see :func:`patch_slots`).
    """
    frames = input_shape[0]
    head = build_head(len(patch_slots(frames, patches or DEFAULT_PATCHES)), num_classes)
    return assemble_genre_model(head, frames=frames, unfreeze_last_block=unfreeze_last_block)


def window_embeddings(features: np.ndarray, *, patches: int | None = DEFAULT_PATCHES, embedding=None,
                      batch_windows: int = EMBEDDING_BATCH, on_progress=None) -> np.ndarray:
    """The frozen backbone's embedding of the pooled patches of every window.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, frames, 96), float32
        Log-mel windows (:func:`~urdu_genre_app.core.features.log_mel_spectrogram`).
    patches : int, optional
        Patches per window, chosen by :func:`patch_slots` (None: all).
    embedding : keras.Model, optional
        Reused embedding model.
    batch_windows : int
        Windows per backbone call.
    on_progress : callable, optional
        ``on_progress(done, total)`` after each batch (it may raise to cancel).

    Returns
    -------
    numpy.ndarray, shape (n, len(patch_slots(frames, patches)), 200), float32
        Per window, its chosen patches' penultimate embeddings, in slot order
        (the head takes them with a trailing channel axis, as
        :func:`training.fit.fit_keras_model` adds it).
    """
    embedding = embedding or _embedding_model()
    n, frames = features.shape[:2]
    slots = np.asarray(patch_slots(frames, patches))
    count = patches_per_window(frames)
    out = np.empty((n, slots.size, EMBEDDING_UNITS), dtype=np.float32)
    for begin in range(0, n, batch_windows):
        chunk = np.asarray(features[begin : begin + batch_windows, : count * PATCH_FRAMES], np.float32)
        chosen = chunk.reshape(len(chunk), count, PATCH_FRAMES, N_MELS)[:, slots]  # only these go through it
        values = np.asarray(embedding(chosen.reshape(-1, PATCH_FRAMES, N_MELS), training=False))
        out[begin : begin + len(chunk)] = values.reshape(len(chunk), slots.size, EMBEDDING_UNITS)
        if on_progress is not None:
            on_progress(min(n, begin + batch_windows), n)
    return out
