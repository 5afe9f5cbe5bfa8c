"""The live-audio ring buffer: wrap-around, overruns, and how much was lost before each read."""

from __future__ import annotations

import numpy as np


def test_ring_buffer_wraps_and_counts_overruns():
    from urdu_genre_app.core.ring_buffer import RingBuffer

    ring = RingBuffer(1.0, 10)  # 10 samples
    ring.write(np.arange(6))
    assert ring.read_all().tolist() == list(range(6))
    ring.write(np.arange(8))  # wraps around the end
    assert ring.read_all().tolist() == list(range(8))
    ring.write(np.arange(7))
    ring.write(np.arange(7, 14))  # 14 > 10: the oldest 4 are dropped
    assert ring.read_all().tolist() == list(range(4, 14))
    assert ring.overruns == 1
    assert ring.read_all().size == 0


def test_ring_buffer_says_how_much_was_lost_before_what_it_returns():
    from urdu_genre_app.core.ring_buffer import RingBuffer

    ring = RingBuffer(1.0, 10)
    ring.write(np.arange(8))
    ring.write(np.arange(8, 13))  # 3 oldest dropped
    ring.write(np.arange(13, 15))  # 2 more: one stretch, right before what is left
    lost, samples = ring.read_with_gap()
    assert lost == 5 and samples.tolist() == list(range(5, 15))
    ring.write(np.arange(25))  # more than fits in one write: all 0 buffered + 15 of these
    lost, samples = ring.read_with_gap()
    assert lost == 15 and samples.tolist() == list(range(15, 25))
    assert ring.read_with_gap()[0] == 0 and ring.lost_samples == 20 and ring.overruns == 3
