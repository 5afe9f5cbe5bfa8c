"""musicnn's patches per window: the one rule, and what bundles without the setting mean (no TensorFlow)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from training.musicnn.genre_model import (
    DEFAULT_PATCHES,
    PATCHES_OPTION,
    bundle_patches,
    musicnn_feature_params,
    patch_slots,
)

#: Frames of a 30 s musicnn window: ten 187-frame slots and 6 frames over.
FRAMES_30S = musicnn_feature_params().frames_per_window


def test_a_30_s_window_has_ten_slots_and_the_patches_are_evenly_spread():
    assert FRAMES_30S == 1876
    assert patch_slots(FRAMES_30S) == tuple(range(10))
    assert patch_slots(FRAMES_30S, 10) == patch_slots(FRAMES_30S, 25) == tuple(range(10))
    assert patch_slots(FRAMES_30S, 3) == (1, 5, 8)
    assert patch_slots(FRAMES_30S, 2) == (2, 7)
    assert patch_slots(FRAMES_30S, 1) == (5,)
    assert patch_slots(FRAMES_30S, 4) == (1, 3, 6, 8)
    for count in range(1, 11):
        slots = patch_slots(FRAMES_30S, count)
        assert len(set(slots)) == count and list(slots) == sorted(slots) and 0 <= slots[0] and slots[-1] <= 9


@pytest.mark.parametrize("frames, patches", [(FRAMES_30S, 0), (FRAMES_30S, -2), (186, 1)])
def test_impossible_patch_settings_are_refused(frames, patches):
    with pytest.raises(ValueError, match="patch|frames"):
        patch_slots(frames, patches)


def _bundle(options, window_seconds=30.0):
    return SimpleNamespace(architecture="musicnn", architecture_options=options,
                           feature_params=musicnn_feature_params(window_seconds))


def test_a_bundle_without_the_setting_pools_every_patch_as_before():
    # Bundles written before the setting existed have no architecture_options: their graph embeds all 10.
    assert bundle_patches(_bundle({})) == 10
    assert bundle_patches(SimpleNamespace(feature_params=musicnn_feature_params())) == 10
    assert bundle_patches(_bundle({PATCHES_OPTION: 3})) == 3
    assert bundle_patches(_bundle({PATCHES_OPTION: 3}, window_seconds=6.0)) == 2  # only 2 slots in 6 s


def test_new_models_pool_fewer_patches_than_a_window_holds():
    assert 1 <= DEFAULT_PATCHES < 10


def test_costly_windows_are_batched_by_patches_and_old_musicnn_bundles_keep_one_window_a_call():
    from urdu_genre_app.core.classifier import DEFAULT_BATCH_SIZE, PATCHES_PER_CALL, batch_size_for

    costly, cheap = SimpleNamespace(costly_windows=True), SimpleNamespace(costly_windows=False)
    assert batch_size_for(_bundle({PATCHES_OPTION: 3}), costly) == PATCHES_PER_CALL // 3 == 4
    assert batch_size_for(_bundle({PATCHES_OPTION: 10}), costly) == 1
    assert batch_size_for(_bundle({}), costly) == DEFAULT_BATCH_SIZE == 1  # 10 patches a window, as before
    assert batch_size_for(_bundle({PATCHES_OPTION: 3}), cheap) == DEFAULT_BATCH_SIZE
