"""Files with any channel count FFmpeg supports decode to the mean of their channels.

PyAV 18 miscounts the planes of a planar frame with 8 channels or more (it reads past
FFmpeg's eight ``data`` pointers), and ``to_ndarray`` on such a frame crashed the whole
process (SIGSEGV, exit 139) on 7.1 AAC and 8-channel FLAC. These tests decode 1 to 16
channels in packed (WAV, FLAC) and planar (AAC, Opus, planar PCM) formats, and run the
real command on such files in a child process, so a crash fails the test instead of
killing the test run.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests import audio_factory
from urdu_genre_app.core.audio_io import DecodeInfo, load_audio
from urdu_genre_app.core.errors import AudioDecodeError

SR = audio_factory.SR
SECONDS = 2.0

#: (suffix, channel counts its encoder accepts, lossless?). FLAC and FFmpeg's AAC stop at 8 channels.
FORMATS = [
    (".wav", (1, 2, 3, 6, 8, 10, 12, 16), True),    # packed 16-bit PCM
    (".nut", (1, 2, 6, 8, 9, 12, 16), True),         # planar 16-bit PCM (s16p)
    (".flac", (1, 2, 3, 6, 7, 8), True),             # packed
    (".m4a", (1, 2, 6, 7, 8), False),                # AAC: planar float (7.1 crashed)
    (".opus", (1, 2, 6, 8, 12, 16), False),          # Opus decodes to planar float
]
CASES = [(suffix, channels, lossless) for suffix, counts, lossless in FORMATS for channels in counts]


def _channels_signal(channels: int) -> np.ndarray:
    """(n, channels) float32: one tone on every channel, each channel at its own gain.

    The gains differ so that a downmix other than the mean (the first channel, a sum,
    front channels only) gives a different level.
    """
    tone = audio_factory.make_sound("Tone", SECONDS, seed=7)
    gains = np.linspace(0.2, 1.0, channels, dtype=np.float32) if channels > 1 else np.ones(1, np.float32)
    return (tone[:, None] * gains[None, :]).astype(np.float32)


def _similarity(decoded: np.ndarray, reference: np.ndarray) -> float:
    n = min(decoded.size, reference.size)
    a, b = decoded[:n] - decoded[:n].mean(), reference[:n] - reference[:n].mean()
    corr = np.fft.irfft(np.fft.rfft(a, 2 * n) * np.conj(np.fft.rfft(b, 2 * n)))
    return float(np.abs(corr).max() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.mark.parametrize("suffix, channels, lossless", CASES, ids=[f"{s[1:]}-{c}ch" for s, c, _ in CASES])
def test_any_channel_count_decodes_to_the_mean_of_its_channels(tmp_path, suffix, channels, lossless):
    data = _channels_signal(channels)
    path = audio_factory.write_audio(tmp_path / f"song{suffix}", data)
    info = DecodeInfo(path="")
    decoded = load_audio(path, info=info)
    mean = data.mean(axis=1)
    assert info.channels == channels
    assert decoded.dtype == np.float32 and decoded.ndim == 1
    assert abs(decoded.size / SR - SECONDS) < 0.1, decoded.size
    if lossless:
        np.testing.assert_allclose(decoded[: mean.size], mean[: decoded.size], atol=2e-3)
    else:  # codecs delay and colour the signal; the level still tells the mean from other downmixes
        assert _similarity(decoded, mean) > 0.9
        assert 0.75 < _rms(decoded) / _rms(mean) < 1.25


def test_cli_survives_surround_files_in_a_child_process(tmp_path, tiny_bundle_path):
    """The real command on 7.1 AAC, 8-channel FLAC and 16-channel Opus/WAV: classified, never a signal."""
    paths = [
        audio_factory.write_audio(tmp_path / name, _channels_signal(channels))
        for name, channels in (("film 7.1.m4a", 8), ("master.flac", 8), ("array.opus", 16), ("array.wav", 16))
    ]
    completed = subprocess.run(
        [sys.executable, "-m", "urdu_genre_app", "classify", "--model", tiny_bundle_path, "--json",
         *map(str, paths)],
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert completed.returncode >= 0, f"killed by signal {-completed.returncode}: {completed.stderr[-2000:]}"
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_decoder_failure_mid_stream_is_a_decode_error(tmp_path, monkeypatch):
    """Whatever PyAV raises while converting frames becomes an AudioDecodeError naming the file."""
    import av

    path = audio_factory.write_audio(tmp_path / "song.flac", _channels_signal(2))

    real_fifo = av.AudioFifo

    class BrokenFifo:
        """Takes frames as FFmpeg's FIFO does, then fails as a PyAV bug would when read."""

        def __init__(self):
            self._fifo = real_fifo()

        def write(self, frame):
            self._fifo.write(frame)

        @property
        def samples(self):
            return self._fifo.samples

        def read(self, *args, **kwargs):
            raise RuntimeError("simulated failure inside PyAV")

    monkeypatch.setattr(av, "AudioFifo", BrokenFifo)
    with pytest.raises(AudioDecodeError, match="song.flac"):
        load_audio(path)
