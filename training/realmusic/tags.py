"""What two taggers trained on real songs say about a window: the features of the ``musicnn_tags`` family.

The MSD musicnn (50 Million Song Dataset tags: rock, Hip-Hop, folk, acoustic,
...) and the MagnaTagATune musicnn (50 MTT tags: indian, sitar, vocal, choir,
drums, ...) share one architecture (:mod:`training.musicnn.backbone`); each
turns a 3 s log-mel patch into 50 tag logits. A window's features are the 100
logits averaged over the 3 s patch slots it pools (:func:`tag_pair_model`,
:func:`window_tag_logits`). On real songs held apart from the project these
tags alone separate the four genres (``../shared/REAL-MUSIC-NOTES.md``: MSD
Hip-Hop AUC 0.99, MTT indian 0.99 for qawwali, MSD folk 0.97 for ghazal):
they are the real-music knowledge no synthetic corpus has.

Logits rather than probabilities: the graph stays built-in layers only (no
``Lambda``, refused by safe-mode loading), and for the rare tags that matter a
logit is its log-probability to a few percent (``log sigmoid(z) ~ z`` for
``z << 0``).

The MTT weights are converted from the ``musicnn==0.1.0`` wheel's
``MTT_musicnn`` checkpoint as the MSD ones are::

    python -m training.realmusic.tags convert     # -> resources/musicnn/mtt_musicnn_weights.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from training.musicnn.backbone import MSD_LABELS, N_MELS, PATCH_FRAMES, build_backbone, load_weights
from training.musicnn.genre_model import patch_slots, patches_per_window

#: The 50 MagnaTagATune tags, in output order (musicnn's ``MTT_LABELS``).
MTT_LABELS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano", "ambient",
    "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals", "no vocals",
    "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo",
    "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello",
    "no voice", "weird", "country", "metal", "female voice", "choral",
)
#: The 100 features' names, MSD's tags then MTT's.
TAG_NAMES = tuple(f"msd:{t}" for t in MSD_LABELS) + tuple(f"mtt:{t}" for t in MTT_LABELS)
#: Weights of the MTT musicnn, converted from the wheel's checkpoint (ISC licence, resources/musicnn/LICENSE.md).
MTT_WEIGHTS_FILE = "mtt_musicnn_weights.npz"
#: The wheel's folder of the MTT checkpoint, beside ``MSD_musicnn``.
MTT_CHECKPOINT = "MTT_musicnn"
#: Windows per tagger call when computing features.
BATCH_WINDOWS = 4


def mtt_weights_path() -> Path:
    """The shipped MTT weights, ``resources/musicnn/mtt_musicnn_weights.npz``."""
    from urdu_genre_app.resources import resource_path

    return Path(resource_path("musicnn", MTT_WEIGHTS_FILE))


def tagger_logits_model(weights=None, *, name: str):
    """One pretrained musicnn's tag logits alone: ``(batch, 187, 96)`` -> ``(batch, 50)``."""
    import keras

    backbone = build_backbone(name=f"{name}_musicnn")
    load_weights(backbone, weights)
    model = keras.Model(backbone.input, backbone.outputs[1], name=f"{name}_tags")
    model.trainable = False
    return model


def tag_pair_model(msd_weights=None, mtt_weights=None):
    """Both taggers side by side: ``(batch, 187, 96)`` -> ``(batch, 100)`` logits, MSD's then MTT's."""
    import keras
    from keras import layers

    msd = tagger_logits_model(msd_weights, name="msd")
    mtt = tagger_logits_model(mtt_weights if mtt_weights is not None else mtt_weights_path(), name="mtt")
    patches = keras.Input(shape=(PATCH_FRAMES, N_MELS), name="log_mel_patch")
    tags = layers.Concatenate(name="tags")([msd(patches), mtt(patches)])
    return keras.Model(patches, tags, name="musicnn_tag_pair")


def slot_tag_logits(features: np.ndarray, *, pair=None, batch_windows: int = BATCH_WINDOWS,
                    on_progress=None) -> np.ndarray:
    """Both taggers' logits of every 3 s patch slot of every window.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, frames, 96), float32
        Log-mel windows (:func:`~urdu_genre_app.core.features.log_mel_spectrogram`).
    pair : keras.Model, optional
        :func:`tag_pair_model`, reused.
    batch_windows : int
        Windows per call.
    on_progress : callable, optional
        ``on_progress(done, total)`` after each batch.

    Returns
    -------
    numpy.ndarray, shape (n, slots, 100), float32
        ``slots = frames // 187`` (10 for a 30 s window).
    """
    pair = pair or tag_pair_model()
    n, frames = features.shape[:2]
    count = patches_per_window(frames)
    out = np.empty((n, count, len(TAG_NAMES)), dtype=np.float32)
    for begin in range(0, n, batch_windows):
        chunk = np.asarray(features[begin : begin + batch_windows, : count * PATCH_FRAMES], np.float32)
        values = np.asarray(pair(chunk.reshape(-1, PATCH_FRAMES, N_MELS), training=False))
        out[begin : begin + len(chunk)] = values.reshape(len(chunk), count, len(TAG_NAMES))
        if on_progress is not None:
            on_progress(min(n, begin + batch_windows), n)
    return out


def window_tag_logits(every_slot: np.ndarray, patches: int | None) -> np.ndarray:
    """A window's features as the exported graph computes them: the mean of its :func:`patch_slots`' logits.

    Parameters
    ----------
    every_slot : numpy.ndarray, shape (n, slots, 100)
        :func:`slot_tag_logits`.
    patches : int or None
        Patches the model pools (None: all slots).

    Returns
    -------
    numpy.ndarray, shape (n, 100), float32
    """
    slots = list(patch_slots(every_slot.shape[1] * PATCH_FRAMES, patches))
    return every_slot[:, slots].mean(axis=1)


def main(argv: list[str] | None = None) -> int:
    """``python -m training.realmusic.tags convert [--checkpoint DIR] [--out FILE]``."""
    from training.musicnn.checkpoint import convert_weights, find_checkpoint

    parser = argparse.ArgumentParser(description="Convert the musicnn wheel's MTT checkpoint for the Keras port.")
    parser.add_argument("command", choices=["convert"])
    parser.add_argument("--checkpoint", type=Path, help="the wheel's musicnn/MTT_musicnn folder (default: found)")
    parser.add_argument("--out", type=Path, default=None, help="the .npz to write (default: the shipped file)")
    args = parser.parse_args(argv)
    folder = args.checkpoint or find_checkpoint().parent / MTT_CHECKPOINT
    written = convert_weights(folder, args.out or mtt_weights_path())
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
