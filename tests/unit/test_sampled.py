"""Sampled renderer (training/sampled): reproducible, every genre at the right length, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from training.sampled import SampleLibrary, SamplePackageMissingError, generate_sampled_song
from training.sampled.midi import Note, render_midi
from training.synth import GENRES, generate_song
from training.synth.corpus import generate_corpus, renderer_for

pytestmark = pytest.mark.slow  # renders songs with fluidsynth and espeak-ng

SR = 22050
SECONDS = 8.0


@pytest.fixture(scope="module")
def songs() -> dict[str, np.ndarray]:
    """One 8 s song per genre (seed 3), rendered once for the module."""
    return {g: generate_sampled_song(g, 3, duration_seconds=SECONDS) for g in GENRES}


@pytest.mark.parametrize("genre", GENRES)
def test_each_genre_renders_at_length_and_rate(genre: str, songs: dict[str, np.ndarray]) -> None:
    y = songs[genre]
    assert y.dtype == np.float32 and y.shape == (int(SECONDS * SR),)
    assert np.all(np.isfinite(y)) and float(np.max(np.abs(y))) <= 1.0
    # Music in the second half, not silence (Ghazal and Qawwali may open quietly).
    assert float(np.sqrt(np.mean(y[y.size // 2:] ** 2))) > 1e-3


def test_other_rate_gives_other_length() -> None:
    y = generate_sampled_song("Hip-hop", 3, duration_seconds=4.0, sample_rate=16000)
    assert y.shape == (64000,)


def test_same_seed_same_audio_other_seed_other_audio(songs: dict[str, np.ndarray]) -> None:
    again = generate_sampled_song("Qawwali", 3, duration_seconds=SECONDS)
    np.testing.assert_array_equal(again, songs["Qawwali"])
    other = generate_sampled_song("Qawwali", 4, duration_seconds=SECONDS)
    assert not np.allclose(other, songs["Qawwali"])


def test_sampled_song_differs_from_numpy_song_of_same_seed(songs: dict[str, np.ndarray]) -> None:
    numpy_song = generate_song("Rock", 3, duration_seconds=SECONDS)
    assert numpy_song.shape == songs["Rock"].shape
    assert abs(np.corrcoef(numpy_song, songs["Rock"])[0, 1]) < 0.2


def test_genres_sound_different(songs: dict[str, np.ndarray]) -> None:
    """Every pair of genres differs by more than 3 dB in some third-octave band (other instruments)."""
    edges = 100.0 * 2.0 ** (np.arange(0, 21) / 3.0)  # 100 Hz .. 10 kHz
    profiles = {}
    for g in GENRES:
        y = songs[g][SR:]
        power = np.abs(np.fft.rfft(y)) ** 2
        freqs = np.fft.rfftfreq(y.size, 1 / SR)
        bands = np.array([power[(freqs >= lo) & (freqs < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])])
        profiles[g] = 10 * np.log10(bands / bands.sum() + 1e-12)
    for i, a in enumerate(GENRES):
        for b in GENRES[i + 1:]:
            assert np.max(np.abs(profiles[a] - profiles[b])) > 3.0, (a, b)


@pytest.mark.parametrize(("library", "package"), [
    (SampleLibrary(sonic_pi_dir="/nonexistent/sonic-pi"), "sonic-pi-samples"),
    (SampleLibrary(hydrogen_dir="/nonexistent/hydrogen"), "hydrogen-drumkits"),
    (SampleLibrary(fluidsynth="no-such-fluidsynth-program"), "fluidsynth"),
    (SampleLibrary(soundfont="/nonexistent/font.sf2"), "timgm6mb-soundfont"),
    (SampleLibrary(espeak="no-such-espeak-program"), "espeak-ng"),
])
def test_missing_package_is_named(library: SampleLibrary, package: str) -> None:
    with pytest.raises(SamplePackageMissingError) as caught:
        generate_sampled_song("Ghazal", 0, duration_seconds=2.0, library=library)
    assert caught.value.package == package
    assert f"'{package}'" in str(caught.value) and "apt-get install" in str(caught.value)


def test_midi_note_sounds_where_it_was_placed() -> None:
    y = render_midi({0: 20}, [Note(0.5, 0.5, 60, 100, 0)], n_samples=SR * 2, sample_rate=SR, library=SampleLibrary())
    before, during = y[: int(0.45 * SR)], y[int(0.55 * SR): int(0.95 * SR)]
    assert float(np.max(np.abs(before))) < 1e-4 < float(np.sqrt(np.mean(during**2)))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown genre"):
        generate_sampled_song("Polka", 0, duration_seconds=2.0)
    with pytest.raises(ValueError, match="sample_rate"):
        generate_sampled_song("Rock", 0, duration_seconds=2.0, sample_rate=8000)
    with pytest.raises(ValueError, match="unknown renderer"):
        renderer_for("vinyl", 0)


def test_mixed_corpus_alternates_renderers(tmp_path) -> None:
    paths = generate_corpus(tmp_path, songs_per_genre=2, seed=5, duration_range=(3.0, 3.0), renderer="mixed")
    assert len(paths) == 8 and all(p.exists() for p in paths)
    assert [renderer_for("mixed", i) for i in range(4)] == ["numpy", "sampled", "numpy", "sampled"]
    numpy_only = generate_corpus(tmp_path / "numpy", songs_per_genre=2, seed=5, duration_range=(3.0, 3.0))
    # Song 0 of each genre is the NumPy renderer's in both corpora; song 1 differs.
    assert paths[0].read_bytes() == numpy_only[0].read_bytes()
    assert paths[1].read_bytes() != numpy_only[1].read_bytes()
