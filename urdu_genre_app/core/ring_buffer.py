"""The live-audio ring buffer: the sound card's callback writes, a GUI timer reads (Friture's shape, Qt-free).

The callback must never wait for the reader, so the buffer never grows: when
the reader falls behind, the oldest samples are dropped and counted, and the
reader learns how much was lost right before what it gets (the recorder
fills that stretch with silence so the recording's timeline stays true).
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["RingBuffer"]


class RingBuffer:
    """Fixed-size FIFO of mono float32 samples: one writer (the audio callback), one reader.

    Parameters
    ----------
    seconds : float
        Capacity in seconds.
    sample_rate : float
        Rate of the samples in Hz.
    """

    def __init__(self, seconds: float, sample_rate: float) -> None:
        self._data = np.zeros(max(1, int(seconds * sample_rate)), dtype=np.float32)
        self._lock = threading.Lock()
        self._write = 0
        self._count = 0
        self._lost_unread = 0  # samples dropped just before the oldest one buffered
        self.overruns = 0
        self.lost_samples = 0

    def write(self, samples: np.ndarray) -> None:
        """Append samples, dropping the oldest when full (counted in ``overruns`` and ``lost_samples``)."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        size = self._data.size
        with self._lock:
            if samples.size > size:  # what is buffered goes too, and the start of these
                dropped = self._count + samples.size - size
                self.overruns += 1
                self._lost_unread += dropped
                self.lost_samples += dropped
                self._count = 0
                samples = samples[-size:]
            end = self._write + samples.size
            if end <= size:
                self._data[self._write : end] = samples
            else:
                first = size - self._write
                self._data[self._write :] = samples[:first]
                self._data[: end - size] = samples[first:]
            self._write = end % size
            self._count += samples.size
            if self._count > size:
                self.overruns += 1
                self._lost_unread += self._count - size
                self.lost_samples += self._count - size
                self._count = size

    def read_all(self) -> np.ndarray:
        """Remove and return everything buffered, oldest first, shape (n,)."""
        return self.read_with_gap()[1]

    def read_with_gap(self) -> tuple[int, np.ndarray]:
        """Remove and return everything buffered, and how many samples were dropped just before it.

        The ring drops its oldest samples, so between two reads the audio lost
        is one stretch, right before what this read returns.

        Returns
        -------
        lost : int
            Samples dropped between the previous read and ``samples``.
        samples : numpy.ndarray, shape (n,), float32
        """
        with self._lock:
            lost, self._lost_unread = self._lost_unread, 0
            count, size = self._count, self._data.size
            start = (self._write - count) % size
            if start + count <= size:
                out = self._data[start : start + count].copy()
            else:
                out = np.concatenate((self._data[start:], self._data[: count - (size - start)]))
            self._count = 0
        return lost, out
