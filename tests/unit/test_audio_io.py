"""Decoding the files people have, and refusing the ones that are not audio."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests import audio_factory
from urdu_genre_app.core.audio_io import DecodeInfo, iter_audio_blocks, load_audio
from urdu_genre_app.core.errors import AudioDecodeError

SECONDS = 4.0


@pytest.fixture
def tone() -> np.ndarray:
    return audio_factory.make_sound("Tone", SECONDS, seed=3)


def _similarity(decoded: np.ndarray, reference: np.ndarray) -> float:
    """Peak normalised cross-correlation (codecs add delay and colour)."""
    n = min(decoded.size, reference.size)
    a, b = decoded[:n] - decoded[:n].mean(), reference[:n] - reference[:n].mean()
    corr = np.fft.irfft(np.fft.rfft(a, 2 * n) * np.conj(np.fft.rfft(b, 2 * n)))
    return float(np.abs(corr).max() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


@pytest.mark.parametrize(
    "name, channels",
    [("song.wav", 1), ("song.flac", 2), ("song.ogg", 2), ("song.opus", 2), ("song.webm", 1),
     ("song.mp3", 2), ("song.m4a", 2), ("گانا میرا.mp3", 1), ("with spaces.m4a", 1)],
)
def test_formats_decode_to_mono_22050(tmp_path, tone, name, channels):
    path = audio_factory.write_audio(tmp_path / name, tone, channels=channels)
    info = DecodeInfo(path="")
    decoded = load_audio(path, info=info)
    assert decoded.dtype == np.float32 and decoded.ndim == 1
    assert abs(decoded.size / 22_050 - SECONDS) < 0.1, decoded.size
    assert info.channels == channels
    assert _similarity(decoded, tone) > 0.9


@pytest.mark.parametrize(
    "rate, subtype, channels",
    [(8_000, "PCM_U8", 1), (16_000, "PCM_16", 1), (44_100, "PCM_24", 2), (48_000, "FLOAT", 2), (96_000, "PCM_32", 6)],
)
def test_any_rate_depth_and_channel_count(tmp_path, rate, subtype, channels):
    t = np.arange(int(2.0 * rate)) / rate
    signal = (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = tmp_path / f"tone_{rate}.wav"
    sf.write(path, np.stack([signal] * channels, axis=1), rate, subtype=subtype)
    decoded = load_audio(path)
    assert abs(decoded.size - 44_100) <= 2
    spectrum = np.abs(np.fft.rfft(decoded))
    assert abs(np.argmax(spectrum) * 22_050 / decoded.size - 440) < 2
    assert 0.35 < np.abs(decoded).max() < 0.45


def test_audio_track_of_a_video(tmp_path, tone):
    path = audio_factory.encode_with_pyav(tmp_path / "clip.mp4", tone, 22_050, video=True)
    assert _similarity(load_audio(path), tone) > 0.9


def test_long_file_streams_in_bounded_blocks(tmp_path, rng):
    signal = (0.1 * rng.standard_normal(22_050 * 65)).astype(np.float32)
    path = audio_factory.write_audio(tmp_path / "long.flac", signal)
    blocks = list(iter_audio_blocks(path, block_seconds=10.0))
    assert len(blocks) >= 6
    assert max(b.size for b in blocks) < 22_050 * 12
    np.testing.assert_allclose(np.concatenate(blocks), signal, atol=1e-4)


def test_truncated_mp3_decodes_what_is_there(tmp_path, tone):
    path = audio_factory.write_audio(tmp_path / "cut.mp3", tone)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    decoded = load_audio(path)
    assert 0.3 * tone.size < decoded.size < 0.8 * tone.size


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("this is a shopping list, not a song\n" * 50), "not a recognised audio"),
        (lambda p: p.write_bytes(np.random.default_rng(0).bytes(20_000)), "not a recognised audio"),
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: None, "no such file"),
    ],
    ids=["empty", "renamed-text", "random-bytes", "folder-named-like-a-song", "missing"],
)
def test_bad_input_names_file_and_reason(tmp_path, setup, reason):
    path = tmp_path / "نغمہ song.mp3"
    setup(path)
    with pytest.raises(AudioDecodeError, match=reason) as caught:
        load_audio(path)
    assert str(path) in str(caught.value)


def test_video_without_sound_is_refused(tmp_path):
    import av

    path = tmp_path / "silent_film.mp4"
    with av.open(str(path), "w") as container:
        audio_factory.mux_blank_video(container, audio_factory.add_blank_video(container))
    with pytest.raises(AudioDecodeError, match="video with no sound"):
        load_audio(path)


def test_max_seconds_stops_early(tmp_path, rng):
    path = audio_factory.write_audio(tmp_path / "x.wav", (0.1 * rng.standard_normal(22_050 * 30)).astype(np.float32))
    assert load_audio(path, max_seconds=5.0).size == 22_050 * 5


def test_background_decoding_gives_the_same_blocks(tmp_path, rng):
    signal = (0.1 * rng.standard_normal(44_100 * 25)).astype(np.float32)
    path = audio_factory.write_audio(tmp_path / "song.mp3", signal, 44_100, channels=2)
    here_info, there_info = DecodeInfo(path=""), DecodeInfo(path="")
    here = list(iter_audio_blocks(path, info=here_info))
    there = list(iter_audio_blocks(path, info=there_info, decode_in_background=True))
    assert [b.size for b in here] == [b.size for b in there]
    for a, b in zip(here, there):
        np.testing.assert_array_equal(a, b)
    assert here_info.decoded_samples == there_info.decoded_samples == sum(b.size for b in here)


def test_background_decoding_reports_bad_input(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("not a song\n" * 100)
    with pytest.raises(AudioDecodeError, match="not a recognised audio") as caught:
        list(iter_audio_blocks(path, decode_in_background=True))
    assert str(path) in str(caught.value)


def test_stopping_a_background_decode_ends_its_thread(tmp_path, rng):
    import threading

    path = audio_factory.write_audio(tmp_path / "long.flac", (0.1 * rng.standard_normal(22_050 * 60)).astype(np.float32))
    before = set(threading.enumerate())
    blocks = iter_audio_blocks(path, decode_in_background=True, block_seconds=2.0)
    next(blocks)
    assert [t for t in threading.enumerate() if t not in before and t.name == "decoder"]
    blocks.close()
    assert not [t for t in threading.enumerate() if t not in before and t.name == "decoder"]


@pytest.mark.parametrize("background", [False, True], ids=["here", "background"])
def test_downmix_and_resampling_match_a_one_shot_reference(tmp_path, rng, background):
    import soxr

    left = (0.3 * rng.standard_normal(44_100 * 12)).astype(np.float32)
    right = np.sin(2 * np.pi * 440 * np.arange(left.size) / 44_100).astype(np.float32) * 0.5
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 44_100, subtype="FLOAT")
    reference = soxr.resample((left + right) / 2, 44_100, 22_050, quality="HQ")
    decoded = np.concatenate(list(iter_audio_blocks(path, decode_in_background=background, block_seconds=3.0)))
    assert decoded.size == reference.size
    np.testing.assert_allclose(decoded, reference, atol=2e-5)


def test_truncated_file_in_the_background_decodes_what_is_there_and_warns(tmp_path, tone):
    path = audio_factory.write_audio(tmp_path / "cut.mp3", tone)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    info = DecodeInfo(path="")
    decoded = np.concatenate(list(iter_audio_blocks(path, info=info, decode_in_background=True)))
    assert 0.3 * tone.size < decoded.size < 0.8 * tone.size
    assert info.decoded_samples == decoded.size


def test_a_consumer_error_ends_the_background_decoder(tmp_path, rng):
    import threading

    path = audio_factory.write_audio(tmp_path / "long.flac", (0.1 * rng.standard_normal(22_050 * 60)).astype(np.float32))
    before = set(threading.enumerate())
    with pytest.raises(KeyError):
        for _block in iter_audio_blocks(path, decode_in_background=True, block_seconds=2.0):
            raise KeyError("the consumer failed")
    assert not [t for t in threading.enumerate() if t not in before and t.name == "decoder"]
