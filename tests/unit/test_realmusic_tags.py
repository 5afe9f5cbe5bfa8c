"""The MagnaTagATune musicnn beside the MSD one: shipped weights are the wheel's, the port equals its original graph."""

from __future__ import annotations

import numpy as np
import pytest

from tests.checkpoint_weights import assert_shipped_weights_equal_checkpoint

TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def mtt_folder():
    from training.musicnn.checkpoint import find_checkpoint
    from training.realmusic.tags import MTT_CHECKPOINT

    return find_checkpoint().parent / MTT_CHECKPOINT  # fails (not skips) with the command when the wheel is missing


def test_shipped_mtt_weights_are_the_checkpoints(mtt_folder):
    from training.realmusic.tags import mtt_weights_path

    assert_shipped_weights_equal_checkpoint(mtt_weights_path(), mtt_folder)


@pytest.mark.slow
def test_the_tag_pair_equals_both_original_graphs(mtt_folder):
    """MSD's 50 tag logits then MTT's, each equal to its original graph on a rendered song's patches."""
    from training.musicnn.backbone import PATCH_FRAMES
    from training.musicnn.checkpoint import ReferenceGraph, find_checkpoint
    from training.musicnn.genre_model import musicnn_feature_params
    from training.realmusic.tags import TAG_NAMES, tag_pair_model
    from training.synth import generate_song
    from urdu_genre_app.core.features import log_mel_spectrogram

    song = generate_song("Qawwali", 4, duration_seconds=10.0, sample_rate=16_000)
    spectrogram = log_mel_spectrogram(signal=song, params=musicnn_feature_params())
    count = spectrogram.shape[0] // PATCH_FRAMES
    patches = spectrogram[: count * PATCH_FRAMES].reshape(count, PATCH_FRAMES, -1)
    expected = []
    for folder in (find_checkpoint(), mtt_folder):
        reference = ReferenceGraph(folder)
        try:
            expected.append(reference.run(patches)[1])
        finally:
            reference.close()
    pair = np.asarray(tag_pair_model()(patches, training=False))
    assert pair.shape == (count, len(TAG_NAMES)) == (count, 100)
    assert np.abs(expected[0] - expected[1]).max() > 1.0  # two different taggers, not one twice
    np.testing.assert_allclose(pair, np.concatenate(expected, axis=1), atol=TOLERANCE, rtol=0)
