"""The one MFCC function: librosa-equal, the paper's shape, no numba compile."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests import audio_factory
from urdu_genre_app.core.errors import FeatureParameterError
from urdu_genre_app.core.features import FeatureParams, mel_filterbank, mfcc


def music_like(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Harmonic notes, percussive noise bursts and a quiet tail: a wide dynamic range."""
    sr = 22_050
    t = np.arange(int(seconds * sr)) / sr
    notes = np.repeat(rng.uniform(110, 440, int(seconds * 2) + 1), sr // 2)[: t.size]
    signal = sum(np.sin(2 * np.pi * k * np.cumsum(notes) / sr) / k for k in range(1, 6))
    hits = (np.sin(2 * np.pi * 2 * t) > 0.95) * rng.standard_normal(t.size)
    signal = 0.2 * signal + 0.5 * hits
    signal[-sr:] *= 1e-4  # near-silence exercises the top_db clipping
    return signal.astype(np.float32)


def test_matches_librosa_on_music_like_audio(rng):
    librosa = pytest.importorskip("librosa")
    signal = music_like(30.0, rng)
    ours = mfcc(signal)
    reference = librosa.feature.mfcc(y=signal, sr=22_050, n_mfcc=32, n_fft=2048, hop_length=512).T
    assert ours.shape == reference.shape == (1292, 32)
    np.testing.assert_allclose(ours, reference, atol=2e-3, rtol=1e-4)


def test_matches_librosa_on_decoded_mp3(tmp_path, rng):
    """Real codec output (an MP3 round trip), with other parameters."""
    librosa = pytest.importorskip("librosa")
    from urdu_genre_app.core.audio_io import load_audio

    path = audio_factory.write_audio(tmp_path / "song.mp3", music_like(12.0, rng))
    signal = load_audio(path)
    params = FeatureParams(n_mfcc=20, n_fft=1024, hop_length=256, window_seconds=12.0)
    reference = librosa.feature.mfcc(y=signal, sr=22_050, n_mfcc=20, n_fft=1024, hop_length=256).T
    np.testing.assert_allclose(mfcc(signal, params), reference, atol=2e-3, rtol=1e-4)


def test_mel_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ours = mel_filterbank(22_050, 2048, 128, 0.0, 0.0)
    np.testing.assert_allclose(ours, librosa.filters.mel(sr=22_050, n_fft=2048, n_mels=128), atol=1e-7)


def test_paper_window_is_1292_by_32():
    params = FeatureParams()
    assert params.window_samples == 661_500
    assert params.input_shape == (1292, 32, 1)
    assert mfcc(np.zeros(params.window_samples, dtype=np.float32)).shape == (1292, 32)


def test_first_call_in_fresh_process_needs_no_librosa_or_numba():
    code = (
        "import sys, numpy as np\n"
        "from urdu_genre_app.core.features import mfcc\n"
        "mfcc(np.zeros(22050, dtype=np.float32))\n"
        "bad = [m for m in ('librosa', 'numba', 'scipy') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [({"n_mfcc": 0}, "n_mfcc=0"), ({"hop_length": 0}, "hop_length=0"), ({"fmax": 99_999.0}, "fmax=99999.0"),
     ({"window_seconds": -1.0}, "window_seconds=-1.0")],
)
def test_bad_parameters_name_the_value(kwargs, fragment):
    with pytest.raises(FeatureParameterError, match=fragment):
        FeatureParams(**kwargs)


def test_round_trip_through_dict():
    params = FeatureParams(n_mfcc=20)
    assert FeatureParams.from_dict(params.to_dict()) == params
    with pytest.raises(FeatureParameterError, match="unknown"):
        FeatureParams.from_dict({**params.to_dict(), "bogus": 1})


def test_stereo_input_is_refused():
    with pytest.raises(FeatureParameterError, match="mono"):
        mfcc(np.zeros((2, 1000), dtype=np.float32))
