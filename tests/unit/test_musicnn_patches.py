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


def test_training_subsets_vary_are_distinct_slots_and_are_seeded():
    import numpy as np

    from training.musicnn.genre_model import random_patch_subsets

    # Row r, slot s holds the value 10 r + s in every unit: the drawn slots can be read back.
    every_slot = (10 * np.arange(6)[:, None] + np.arange(10)[None, :])[..., None].repeat(200, axis=2).astype(np.float32)
    draws = [random_patch_subsets(every_slot[..., None], 3, np.random.default_rng(7)) for _ in range(2)]
    np.testing.assert_array_equal(draws[0], draws[1])  # the fit's seed fixes the draw
    assert draws[0].shape == (6, 3, 200, 1)  # a trailing channel axis is carried along
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(50):
        subset = random_patch_subsets(every_slot, 3, rng)
        assert subset.shape == (6, 3, 200)
        slots = subset[:, :, 0] - 10 * np.arange(6)[:, None]
        assert (np.diff(slots, axis=1) > 0).all()  # distinct slots, in slot order, each row from itself
        assert (subset == subset[:, :, :1]).all()  # whole embeddings are taken, not mixed
        seen.update(map(tuple, slots.astype(int)))
    assert len(seen) > 60  # of the 120 subsets of 10 choose 3, not a fixed few
    with pytest.raises(ValueError, match="patches"):
        random_patch_subsets(every_slot, 11, rng)


def test_validation_and_testing_score_the_slots_the_exported_graph_embeds():
    import numpy as np

    from training.musicnn.genre_model import slot_embeddings

    every_slot = np.arange(2 * 10 * 200, dtype=np.float32).reshape(2, 10, 200)
    np.testing.assert_array_equal(slot_embeddings(every_slot, 3), every_slot[:, [1, 5, 8]])
    np.testing.assert_array_equal(slot_embeddings(every_slot, None), every_slot)
    np.testing.assert_array_equal(slot_embeddings(every_slot[:, :2], 1), every_slot[:, [1]])  # 6 s windows
