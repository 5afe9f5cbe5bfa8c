"""The shipped musicnn weights held against the wheel's checkpoint they were converted from (MSD and MTT alike)."""

from __future__ import annotations

import numpy as np


def assert_shipped_weights_equal_checkpoint(weights_path, checkpoint_folder) -> dict[str, np.ndarray]:
    """Assert that the ``.npz`` at ``weights_path`` holds exactly the checkpoint's tensors; return them by name."""
    from training.musicnn.checkpoint import keras_weights, read_checkpoint

    expected = keras_weights(read_checkpoint(checkpoint_folder))
    with np.load(weights_path, allow_pickle=False) as shipped:
        assert sorted(shipped.files) == sorted(expected)
        for name, value in expected.items():
            np.testing.assert_array_equal(shipped[name], value, err_msg=name)
    return expected
