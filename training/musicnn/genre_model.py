"""The ``musicnn`` model family: the MSD musicnn's embeddings of a window's 3 s patches, pooled, then a genre head.

One classified window (30 s by default: 1876 log-mel frames at 16 kHz) is cut
into consecutive 187-frame patches (10 of them; the last 6 frames, 0.1 s, are
left out), the pretrained backbone (:mod:`training.musicnn.backbone`) turns
each into its 200-value penultimate embedding, the embeddings are pooled over
the window (mean and max), and a small head (Dropout -> Dense 64 ReLU ->
Dense softmax) names the genre.

Training keeps the backbone frozen, so the embeddings are computed once per
window (:func:`window_embeddings`) and only the head is fitted on them
(:func:`build_head`); :func:`assemble_genre_model` then joins backbone and
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


def musicnn_feature_params(window_seconds: float = 30.0) -> FeatureParams:
    """The log-mel parameters musicnn was trained with, for windows of ``window_seconds``."""
    return FeatureParams(
        sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=N_MELS, feature=FEATURE_LOG_MEL,
        window_seconds=window_seconds,
    )


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


def _embedding_model(weights=None):
    """The pretrained backbone's penultimate output alone: (batch, 187, 96) -> (batch, 200)."""
    import keras

    backbone = build_backbone()
    load_weights(backbone, weights)
    return keras.Model(backbone.input, backbone.outputs[0], name="musicnn_embedding")


def _window_patches(frames: int, name: str):
    """Layers from a window ``(frames, 96, 1)`` to its patches ``(patches, 187, 96)``."""
    import keras
    from keras import layers

    count = patches_per_window(frames)
    window = keras.Input(shape=(frames, N_MELS, 1), name="log_mel")
    x = layers.Cropping2D(((0, frames - count * PATCH_FRAMES), (0, 0)), name="whole_patches")(window)
    patches = layers.Reshape((count, PATCH_FRAMES, N_MELS), name="patches")(x)
    return window, patches


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
    outputs = layers.Dense(num_classes, activation="softmax", name="genre")(x)
    return keras.Model(embeddings, outputs, name="musicnn_head")


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
        Input ``(frames, 96, 1)``, output ``(num_classes,)`` softmax; named ``musicnn_genre``.
    """
    import keras
    from keras import layers

    embedding = embedding or _embedding_model(weights)
    for layer in embedding.layers:
        layer.trainable = unfreeze_last_block and layer.name in LAST_BLOCK_LAYERS
    window, patches = _window_patches(frames, "log_mel")
    per_patch = layers.TimeDistributed(embedding, name="backbone")(patches)  # (patches, 200)
    probabilities = head(layers.Reshape((*per_patch.shape[1:], 1), name="to_head")(per_patch))
    return keras.Model(window, probabilities, name="musicnn_genre")


def build_musicnn_classifier(input_shape: tuple[int, int, int], num_classes: int, *, unfreeze_last_block=False):
    """A fresh ``musicnn`` window model (pretrained backbone, untrained head), for :mod:`training.models`."""
    head = build_head(patches_per_window(input_shape[0]), num_classes)
    return assemble_genre_model(head, frames=input_shape[0], unfreeze_last_block=unfreeze_last_block)


def window_embeddings(features: np.ndarray, *, embedding=None, batch_windows: int = EMBEDDING_BATCH,
                      on_progress=None) -> np.ndarray:
    """The frozen backbone's embedding of every patch of every window.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, frames, 96), float32
        Log-mel windows (:func:`~urdu_genre_app.core.features.log_mel_spectrogram`).
    embedding : keras.Model, optional
        Reused embedding model.
    batch_windows : int
        Windows per backbone call (10 patches each for 30 s windows).
    on_progress : callable, optional
        ``on_progress(done, total)`` after each batch (it may raise to cancel).

    Returns
    -------
    numpy.ndarray, shape (n, patches, 200), float32
        Per window, its patches' penultimate embeddings (the head takes them
        with a trailing channel axis, as :func:`training.fit.fit_keras_model`
        adds it).
    """
    embedding = embedding or _embedding_model()
    n, frames = features.shape[:2]
    count = patches_per_window(frames)
    out = np.empty((n, count, EMBEDDING_UNITS), dtype=np.float32)
    for begin in range(0, n, batch_windows):
        chunk = np.asarray(features[begin : begin + batch_windows, : count * PATCH_FRAMES], np.float32)
        patches = chunk.reshape(-1, PATCH_FRAMES, N_MELS)
        values = np.asarray(embedding(patches, training=False))
        out[begin : begin + len(chunk)] = values.reshape(len(chunk), count, EMBEDDING_UNITS)
        if on_progress is not None:
            on_progress(min(n, begin + batch_windows), n)
    return out
