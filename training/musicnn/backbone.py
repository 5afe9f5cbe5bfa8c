"""The MSD musicnn network (Pons and Serra, 2019) in Keras 3, layer for layer.

A 3 s log-mel patch (187 frames of 96 bands at 16 kHz, ``log10(10000 x + 1)``)
goes through a musically motivated front-end (two timbral convolutions that
span 40 % and 70 % of the bands, three temporal convolutions of 128, 64 and 32
frames, each max-pooled over frequency), a dense-residual mid-end of three
7-frame 1-D convolutions, and a back-end that pools the whole stack over time
(max and mean, interleaved as the original's ``concat`` then ``flatten``),
then Dense 200 (the "penultimate" embedding) and Dense 50 (the tag logits).

Layer names are the TF1 variable scopes of the original checkpoint
(``conv2d``, ``batch_normalization_3``, ...), so its weights map one to one.
The original's ``tf.compat.v1.layers`` code cannot run on Keras 3; this module
is the port, held to the original graph by ``tests/unit/test_musicnn.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Sample rate the network was trained at, in Hz.
SAMPLE_RATE = 16_000
#: STFT length and hop, in samples (32 ms and 16 ms at 16 kHz).
N_FFT = 512
HOP_LENGTH = 256
#: Mel bands of its input.
N_MELS = 96
#: Frames of one input patch: 3 s (``librosa.time_to_frames(3, ...) + 1``).
PATCH_FRAMES = 187
#: Units of the penultimate (embedding) layer.
EMBEDDING_UNITS = 200
#: The 50 Million Song Dataset tags, in output order (musicnn's ``MSD_LABELS``).
MSD_LABELS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul",
    "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies",
    "blues", "hard rock", "ambient", "acoustic", "experimental", "female vocalist", "guitar", "Hip-Hop", "70s",
    "party", "country", "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal",
    "Progressive rock", "60s", "rnb", "indie pop", "sad", "House", "happy",
)
#: Weights of the MSD musicnn converted from the wheel's checkpoint (ISC licence, see its LICENSE.md).
WEIGHTS_FILE = "msd_musicnn_weights.npz"
#: Layers of the last (mid-end) block, the ones ``unfreeze_last_block`` trains.
LAST_BLOCK_LAYERS = ("conv2d_7", "batch_normalization_8")

# The original's constants: timbral filters 1.6 * 128, temporal 1.6 * 32, mid-end 64.
_TIMBRAL_FILTERS = int(1.6 * 128)
_TEMPORAL_FILTERS = int(1.6 * 32)
_MIDEND_FILTERS = 64


def default_weights_path() -> Path:
    """The shipped weights file, ``resources/musicnn/msd_musicnn_weights.npz``."""
    from urdu_genre_app.resources import resource_path

    return Path(resource_path("musicnn", WEIGHTS_FILE))


def build_backbone(*, patch_frames: int = PATCH_FRAMES, name: str = "msd_musicnn"):
    """The MSD musicnn, uncompiled and with random weights.

    Parameters
    ----------
    patch_frames : int
        Frames per input patch (the original was trained on 187).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Input ``(batch, patch_frames, 96)`` log-mel patches; two outputs:
        the penultimate embedding, shape ``(batch, 200)``, and the 50 tag
        logits, shape ``(batch, 50)`` (the original applies a sigmoid to them).
    """
    import keras
    from keras import layers

    def batch_norm(index: int):
        # tf.compat.v1.layers.batch_normalization's defaults (epsilon 1e-3) match Keras's.
        return layers.BatchNormalization(epsilon=1e-3, name="batch_normalization" + (f"_{index}" if index else ""))

    def frequency_max(tensor, label: str):
        # Max over the whole frequency axis, then drop it: (b, t, f, c) -> (b, t, c).
        pooled = layers.MaxPooling2D(pool_size=(1, tensor.shape[2]), name=f"{label}_pool")(tensor)
        return layers.Reshape((patch_frames, tensor.shape[3]), name=f"{label}_squeeze")(pooled)

    patches = keras.Input(shape=(patch_frames, N_MELS), name="log_mel")
    x = layers.Reshape((patch_frames, N_MELS, 1), name="expand")(patches)
    x = batch_norm(0)(x)
    # Front-end: timbral convolutions (time padded by 3 for a 'same' output length).
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)), name="timbral_pad")(x)
    front = []
    for index, (conv, span) in enumerate((("conv2d", 0.4), ("conv2d_1", 0.7))):
        conv_out = layers.Conv2D(
            _TIMBRAL_FILTERS, (7, int(span * N_MELS)), padding="valid", activation="relu", name=conv
        )(padded)
        front.append(frequency_max(batch_norm(1 + index)(conv_out), f"timbral_{index}"))
    # Front-end: temporal convolutions.
    for index, length in enumerate((128, 64, 32)):
        conv_out = layers.Conv2D(
            _TEMPORAL_FILTERS, (length, 1), padding="same", activation="relu", name=f"conv2d_{2 + index}"
        )(x)
        front.append(frequency_max(batch_norm(3 + index)(conv_out), f"temporal_{index}"))
    front_features = layers.Concatenate(axis=-1, name="frontend")(front)  # (b, t, 561)
    # Mid-end: the original's Conv2D with kernel [7, channels] over a (t, channels, 1) map
    # is a 1-D convolution over time with the channels as inputs.
    mid = [front_features]
    previous = front_features
    for index in range(3):
        padded_mid = layers.ZeroPadding1D(3, name=f"midend_pad_{index}")(previous)
        conv_out = layers.Conv1D(_MIDEND_FILTERS, 7, activation="relu", name=f"conv2d_{5 + index}")(padded_mid)
        normalised = batch_norm(6 + index)(conv_out)
        previous = normalised if index == 0 else layers.Add(name=f"midend_residual_{index}")([normalised, previous])
        mid.append(previous)
    mid_features = layers.Concatenate(axis=-1, name="midend")(mid)  # (b, t, 753)
    # Back-end: max and mean over time, interleaved per channel as concat([max, mean], 2) + flatten.
    channels = mid_features.shape[-1]
    max_pool = layers.Reshape((channels, 1), name="max_pool")(layers.GlobalMaxPooling1D(name="time_max")(mid_features))
    mean_pool = layers.Reshape((channels, 1), name="mean_pool")(
        layers.GlobalAveragePooling1D(name="time_mean")(mid_features)
    )
    pooled = layers.Flatten(name="pooled")(layers.Concatenate(axis=-1, name="max_mean")([max_pool, mean_pool]))
    pooled = batch_norm(9)(pooled)
    dense = layers.Dense(EMBEDDING_UNITS, activation="relu", name="dense")(layers.Dropout(0.5)(pooled))
    penultimate = batch_norm(10)(dense)
    logits = layers.Dense(len(MSD_LABELS), name="dense_1")(layers.Dropout(0.5)(penultimate))
    return keras.Model(patches, [penultimate, logits], name=name)


def load_weights(model, path: str | os.PathLike | None = None) -> None:
    """Set a :func:`build_backbone` model's weights from a converted ``.npz`` file.

    Parameters
    ----------
    model : keras.Model
        From :func:`build_backbone` (layer names as the checkpoint's scopes).
    path : str or os.PathLike, optional
        Written by ``python -m training.musicnn.checkpoint``; default the
        shipped :func:`default_weights_path`.

    Raises
    ------
    ValueError
        The file lacks a layer's weights or holds one of another shape.
    """
    import numpy as np

    path = Path(path) if path is not None else default_weights_path()
    with np.load(path, allow_pickle=False) as stored:
        arrays = dict(stored)
    for layer in model.layers:
        if not layer.weights:
            continue
        values = []
        for weight in layer.weights:
            key = f"{layer.name}/{weight.name}"
            if key not in arrays:
                raise ValueError(f"{path}: no weights for {key}")
            value = arrays[key]
            if tuple(value.shape) != tuple(weight.shape):
                raise ValueError(f"{path}: {key} has shape {value.shape}, the model wants {tuple(weight.shape)}")
            values.append(value)
        layer.set_weights(values)


def pretrained_backbone(*, patch_frames: int = PATCH_FRAMES, weights: str | os.PathLike | None = None):
    """:func:`build_backbone` with the MSD musicnn weights loaded."""
    model = build_backbone(patch_frames=patch_frames)
    load_weights(model, weights)
    return model
