"""What two taggers trained on real songs say about a window: the features of the ``musicnn_tags`` family.

The MSD musicnn (50 Million Song Dataset tags: rock, Hip-Hop, folk, acoustic,
...) and the MagnaTagATune musicnn (50 MTT tags: indian, sitar, vocal, choir,
drums, ...) share one architecture (:mod:`training.musicnn.backbone`); each
turns a 3 s log-mel patch into 50 tag logits. A window's features are the 100
logits averaged over the 3 s patch slots it pools (:func:`tag_pair_model`,
:func:`training.realmusic.family.build_window_model`). On real songs held
apart from the project these tags alone separate the four genres
(``../shared/REAL-MUSIC-NOTES.md``: MSD Hip-Hop AUC 0.99, MTT indian 0.99 for
qawwali, MSD folk 0.97 for ghazal): they are the real-music knowledge no
synthetic corpus has.

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

from training.musicnn.backbone import MSD_LABELS, N_MELS, PATCH_FRAMES, build_backbone, load_weights

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
