"""Synthetic corpus generator: determinism, format, layout, resumability, genre differences."""

from __future__ import annotations

import os

import av
import numpy as np
import pytest
import soundfile as sf
from scipy import signal as sps

from training.synth import GENRES, generate_corpus, generate_song
from training.synth.__main__ import main as cli_main
from training.synth.corpus import song_path

SR = 22050


@pytest.fixture(scope="module")
def songs() -> dict[str, list[np.ndarray]]:
    """Three 16 s songs per genre (seeds 0-2), generated once for the module."""
    return {g: [generate_song(g, s, duration_seconds=16.0) for s in range(3)] for g in GENRES}


def test_genres_constant() -> None:
    assert GENRES == ("Ghazal", "Qawwali", "Hip-hop", "Rock")


@pytest.mark.parametrize("genre", GENRES)
def test_shape_dtype_peak_and_content(genre: str, songs: dict[str, list[np.ndarray]]) -> None:
    for y in songs[genre]:
        assert y.dtype == np.float32
        assert y.ndim == 1
        assert y.shape == (16 * SR,)
        assert np.all(np.isfinite(y))
        peak = float(np.max(np.abs(y)))
        # The recording chain normalises the peak to -20 .. -1 dBFS.
        assert 10 ** (-20.5 / 20) <= peak <= 10 ** (-0.9 / 20)
        # Not silence, not a constant: the second half carries music.
        assert np.std(y[8 * SR:]) > 1e-3 * peak


def test_same_seed_same_audio_and_different_seed_different() -> None:
    a = generate_song("Qawwali", 7, duration_seconds=8.0)
    b = generate_song("Qawwali", 7, duration_seconds=8.0)
    c = generate_song("Qawwali", 8, duration_seconds=8.0)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    # The same seed in another genre is another song.
    d = generate_song("Rock", 7, duration_seconds=8.0)
    assert not np.allclose(a, d)


def test_duration_sample_rate_and_default_length() -> None:
    y = generate_song("Hip-hop", 3, duration_seconds=2.5, sample_rate=16000)
    assert y.shape == (40000,)
    # duration None draws 120..360 s from the seed (only check the draw, not render it).
    from training.synth.song import DEFAULT_DURATION_RANGE, song_streams

    dur_rng, _, _ = song_streams("Ghazal", 1)
    assert DEFAULT_DURATION_RANGE[0] <= dur_rng.uniform(*DEFAULT_DURATION_RANGE) <= DEFAULT_DURATION_RANGE[1]


def test_unknown_genre_raises_with_name() -> None:
    with pytest.raises(ValueError, match="Bhangra"):
        generate_song("Bhangra", 0, duration_seconds=2.0)
    with pytest.raises(ValueError, match="Bhangra"):
        generate_song("Bhangra", 0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate_song("Rock", 0, duration_seconds=0.0)
    with pytest.raises(ValueError):
        generate_corpus("unused", songs_per_genre=1, formats=("aiff",))
    with pytest.raises(ValueError):
        generate_corpus("unused", songs_per_genre=1, duration_range=(5.0, 2.0))


def _band_ratio(y: np.ndarray, lo: float, hi: float) -> float:
    f, _, s = sps.stft(y, fs=SR, nperseg=2048, noverlap=1024)
    p = np.abs(s) ** 2
    return float(p[(f >= lo) & (f < hi)].sum() / p.sum())


def _onset_strength(y: np.ndarray) -> float:
    """Mean positive spectral flux per second, relative to the mean magnitude (level-independent)."""
    _, _, s = sps.stft(y, fs=SR, nperseg=1024, noverlap=512)
    mag = np.abs(s)
    flux = np.maximum(np.diff(mag, axis=1), 0.0).sum(axis=0)
    return float(flux.mean() / (mag.sum(axis=0).mean() + 1e-12))


def test_genres_differ_musically(songs: dict[str, list[np.ndarray]]) -> None:
    """Averaged over three songs, genre cues show up in simple measurements.

    Hip-hop (808 / sub bass, kick) carries far more energy below 150 Hz than
    ghazal; rock (distorted guitars, cymbals) more above 3 kHz than ghazal;
    ghazal (sustained voice, harmonium, soft tabla) is the least percussive.
    """
    low = {g: np.mean([_band_ratio(y[5 * SR:], 20, 150) for y in songs[g]]) for g in GENRES}
    high = {g: np.mean([_band_ratio(y[5 * SR:], 3000, 11025) for y in songs[g]]) for g in GENRES}
    onset = {g: np.mean([_onset_strength(y[8 * SR:]) for y in songs[g]]) for g in GENRES}
    assert low["Hip-hop"] > 2.0 * low["Ghazal"], low
    assert high["Rock"] > 2.0 * high["Ghazal"], high
    assert onset["Ghazal"] < min(onset["Qawwali"], onset["Hip-hop"], onset["Rock"]), onset


def test_within_genre_variety(songs: dict[str, list[np.ndarray]]) -> None:
    """Songs of one genre are not copies of one template: their spectra differ."""
    for genre in GENRES:
        cents = []
        for y in songs[genre]:
            f, _, s = sps.stft(y[5 * SR:], fs=SR, nperseg=2048)
            p = np.abs(s) ** 2
            cents.append(float((f[:, None] * p).sum() / p.sum()))
        assert max(cents) / min(cents) > 1.1, (genre, cents)


def _read_any(path) -> tuple[np.ndarray, int]:
    if path.suffix in (".wav", ".flac", ".ogg"):
        data, sr = sf.read(str(path), dtype="float32")
        return data, sr
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        data = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
        return data.astype(np.float32), stream.rate


@pytest.mark.parametrize("fmt", ("wav", "flac", "ogg", "mp3", "m4a"))
def test_write_audio_every_format_reads_back(tmp_path, fmt: str) -> None:
    from training.synth.corpus import write_audio

    t = np.arange(SR) / SR
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    path = tmp_path / f"tone.{fmt}"
    write_audio(path, tone, SR, fmt, 96_000)
    data, sr = _read_any(path)
    assert sr == SR and data.ndim == 1
    assert 0.95 * SR <= len(data) <= 1.1 * SR
    # Same tone back: the 440 Hz bin dominates.
    spec = np.abs(np.fft.rfft(data[: SR // 2] * np.hanning(SR // 2)))
    assert abs(np.argmax(spec) * 2 - 440) <= 4
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left over


def test_corpus_layout_formats_and_resume(tmp_path) -> None:
    calls: list[tuple[int, int]] = []
    formats = ("wav", "flac", "ogg", "mp3", "m4a")
    paths = generate_corpus(tmp_path, songs_per_genre=5, seed=3, duration_range=(1.0, 1.5), formats=formats,
                            progress=lambda d, t: calls.append((d, t)))
    assert len(paths) == 20
    assert calls[-1] == (20, 20)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    for genre in GENRES:
        files = sorted(p.name for p in (tmp_path / genre).iterdir())
        assert files == [f"{genre.lower()}_{i:03d}.{formats[i]}" for i in range(5)]
    for p in paths:
        data, sr = _read_any(p)
        assert sr == SR and data.ndim == 1 and np.isfinite(data).all()
        assert 0.9 * SR <= len(data) <= 1.7 * SR
        assert np.max(np.abs(data)) > 0.05
    # Resumable: a second call writes nothing new and leaves files untouched.
    mtimes = {p: os.stat(p).st_mtime_ns for p in paths}
    calls.clear()
    again = generate_corpus(tmp_path, songs_per_genre=5, seed=3, duration_range=(1.0, 1.5), formats=formats,
                            progress=lambda d, t: calls.append((d, t)))
    assert again == paths
    assert calls == [(20, 20)]
    assert {p: os.stat(p).st_mtime_ns for p in paths} == mtimes
    # Growing the corpus only adds the new indices.
    more = generate_corpus(tmp_path, songs_per_genre=6, seed=3, duration_range=(1.0, 1.5), formats=formats)
    assert more[:5] == paths[:5] and len(more) == 24
    assert {p: os.stat(p).st_mtime_ns for p in paths} == mtimes


def test_corpus_is_deterministic_and_matches_generate_song(tmp_path) -> None:
    a = generate_corpus(tmp_path / "a", songs_per_genre=1, seed=11, duration_range=(2.0, 2.0))
    b = generate_corpus(tmp_path / "b", songs_per_genre=1, seed=11, duration_range=(2.0, 2.0), workers=2)
    for pa, pb in zip(a, b):
        assert sf.read(str(pa))[0].tolist() == sf.read(str(pb))[0].tolist()
    assert a[0] == song_path(tmp_path / "a", "Ghazal", 0, "wav")


def test_cli_writes_corpus(tmp_path, capsys) -> None:
    rc = cli_main([str(tmp_path), "--songs-per-genre", "1", "--min-seconds", "1.5", "--max-seconds", "2",
                   "--formats", "wav"])
    assert rc == 0
    assert "4/4" in capsys.readouterr().err
    assert sorted(p.parent.name for p in tmp_path.rglob("*.wav")) == sorted(GENRES)
    assert cli_main([str(tmp_path), "--songs-per-genre", "1", "--formats", "xyz"]) == 2
