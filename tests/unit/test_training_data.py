"""Training data side (no TensorFlow): scan, extraction rules and cache, augmentation, split, evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests import audio_factory
from training import extract as extract_module
from training.augment import SpecAugmentConfig, WaveAugmentConfig, augment_window, spec_augment
from training.dataset import Song, scan_dataset, scan_folder
from training.errors import DatasetError, TrainingConfigError
from training.evaluate import evaluate_probabilities, format_comparison
from training.extract import ExtractionConfig, extract_windows, genre_key, window_starts_for_song
from training.split import SPLIT_SONG, SPLIT_WINDOW_PAPER_LEAKY, split_windows
from urdu_genre_app.core.audio_io import load_audio
from urdu_genre_app.core.features import FeatureParams, mfcc

PARAMS = FeatureParams(window_seconds=3.0)
FORMATS = (".wav", ".mp3", ".m4a")
SR = audio_factory.SR


def _write_dataset(root: Path, *, songs_per_genre: int, seconds: float = 4.0) -> Path:
    for g, kind in enumerate(audio_factory.TINY_LABELS):
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(songs_per_genre):
            signal = audio_factory.make_sound(kind, seconds, seed=100 * g + i)
            audio_factory.write_audio(folder / f"song{i}{FORMATS[(g + i) % len(FORMATS)]}", signal)
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """4 genres x 3 songs of 4 s in mixed formats, plus an unreadable file and hidden/loose files."""
    root = _write_dataset(tmp_path_factory.mktemp("dataset"), songs_per_genre=3)
    (root / "Tone" / "broken.mp3").write_bytes(b"this is not audio")
    (root / "Noise" / "notes.txt").write_text("not audio: ignored")
    (root / "Noise" / ".hidden.wav").write_bytes(b"")
    audio_factory.write_audio(root / "loose.wav", audio_factory.make_sound("Tone", 2.0))
    return root


# ---------------------------------------------------------------- scan
def test_scan_folder_lists_songs_durations_and_skips_unreadable(dataset):
    seen = []
    scan = scan_folder(dataset, on_progress=lambda done, total: seen.append((done, total)))
    assert scan.labels == ["Clicks", "Noise", "Sweep", "Tone"]
    assert scan.songs_per_genre() == {"Clicks": 3, "Noise": 3, "Sweep": 3, "Tone": 3}
    # Container metadata of mp3/m4a pads a little; every song is about 4 s.
    assert all(abs(s.duration_seconds - 4.0) < 0.1 for s in scan.songs)
    assert sum(scan.seconds_per_genre().values()) == pytest.approx(48.0, abs=0.6)
    assert [p.path.name for p in scan.skipped] == ["broken.mp3"]
    assert "not a recognised audio" in scan.skipped[0].reason
    assert seen[-1] == (13, 13)  # 12 songs + the broken file were probed
    text = scan.describe()
    assert "Tone" in text and "skipped" in text and "broken.mp3" in text
    summary = scan.summary()
    json.dumps(summary)
    assert summary["genres"]["Tone"]["songs"] == 3 and summary["skipped"] == 1


def test_scan_manifest_resolves_relative_paths_and_lists_bad_rows(dataset, tmp_path):
    manifest = tmp_path / "list.csv"
    rows = ["path,genre"]
    for genre in ("Tone", "Noise"):
        for path in sorted((dataset / genre).glob("song*")):
            rows.append(f"{path},{genre.upper()}")
    relative = Path("rel") / "x.wav"
    (tmp_path / "rel").mkdir()
    audio_factory.write_audio(tmp_path / relative, audio_factory.make_sound("Sweep", 2.0))
    rows += [f"{relative},Sweep", "missing.wav,Sweep", "only-a-path.wav"]
    manifest.write_text("\n".join(rows) + "\n")
    scan = scan_dataset(manifest)
    assert scan.labels == ["NOISE", "Sweep", "TONE"]
    assert scan.songs_per_genre() == {"NOISE": 3, "Sweep": 1, "TONE": 3}
    reasons = {p.path.name: p.reason for p in scan.skipped}
    assert set(reasons) == {"list.csv", "missing.wav"}
    assert "no such file" in reasons["missing.wav"] and "row" in reasons["list.csv"]


def test_scan_needs_two_genres(tmp_path):
    (tmp_path / "Only").mkdir()
    audio_factory.write_audio(tmp_path / "Only" / "a.wav", audio_factory.make_sound("Tone", 2.0))
    with pytest.raises(DatasetError, match="at least two"):
        scan_folder(tmp_path)
    with pytest.raises(DatasetError, match="no such dataset folder"):
        scan_folder(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no such manifest"):
        scan_dataset(tmp_path / "nope.csv")


# ---------------------------------------------------------------- window rules
def test_intro_skip_defaults_and_matching():
    config = ExtractionConfig()
    assert config.intro_skip_for("GHAZAL") == 30.0
    assert config.intro_skip_for("qawwali") == 30.0
    assert config.intro_skip_for("Rock") == 20.0
    assert config.intro_skip_for("Hip-hop") == 0.0
    assert genre_key("Hip_Hop") == genre_key("hip-hop") == "hiphop"
    custom = ExtractionConfig(intro_skip_seconds={"hip hop": 5.0}, default_intro_skip_seconds=1.0)
    assert custom.intro_skip_for("Hip-Hop") == 5.0 and custom.intro_skip_for("Rock") == 1.0


def test_window_starts_respect_skip_and_short_song_rule(rng):
    window, skip = 30 * SR, 30 * SR
    long_starts = window_starts_for_song(300 * SR, window_samples=window, skip_samples=skip, count=50, rng=rng)
    assert min(long_starts) >= skip and max(long_starts) <= 270 * SR
    # 45 s song with a 30 s skip: slack 15 s < skip, so the skip shrinks to 7.5 s.
    short_starts = window_starts_for_song(45 * SR, window_samples=window, skip_samples=skip, count=50, rng=rng)
    assert min(short_starts) >= int(7.5 * SR) and max(short_starts) <= 15 * SR
    assert len(set(short_starts)) > 1
    # Shorter than one window: looped; the first window is the one inference sees.
    tiny = window_starts_for_song(10 * SR, window_samples=window, skip_samples=skip, count=5, rng=rng)
    assert tiny[0] == 0 and len(tiny) == 5 and all(0 <= s < 10 * SR for s in tiny)


def test_windows_skip_the_intro_of_real_files(tmp_path):
    """A Rock song with a silent 4 s intro: no window may start in it."""
    params = FeatureParams(window_seconds=2.0)
    loud = audio_factory.make_sound("Noise", 6.0, seed=3)
    song = np.concatenate([np.zeros(4 * SR, np.float32), loud])
    path = audio_factory.write_audio(tmp_path / "rock.wav", song)
    config = ExtractionConfig(windows_per_song=8, intro_skip_seconds={"rock": 4.0})
    windows = extract_windows([Song(path, "Rock", 10.0)], labels=["Rock"], params=params, config=config, workers=1)
    assert len(windows) == 8 and windows.start_seconds.min() >= 4.0
    # The first window's features are core's mfcc of that slice of core's decoding
    # (to BLAS rounding: extraction runs single-threaded).
    start = int(round(windows.start_seconds[0] * SR))
    decoded = load_audio(path)
    np.testing.assert_allclose(windows.features[0], mfcc(decoded[start : start + params.window_samples], params),
                               rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- extraction and cache
def test_cache_second_run_extracts_nothing_and_is_identical(dataset, tmp_path, monkeypatch):
    scan = scan_folder(dataset)
    cache = tmp_path / "cache"
    config = ExtractionConfig(windows_per_song=2, seed=7)
    first = extract_windows(scan.songs, labels=scan.labels, params=PARAMS, config=config, workers=2, cache_dir=cache)
    assert (first.stats.extracted, first.stats.cached) == (12, 0)
    assert first.features.shape == (24, PARAMS.frames_per_window, PARAMS.n_mfcc)
    entries = list(cache.rglob("*.npz"))
    assert len(entries) == 12 and not list(cache.rglob(".tmp-*"))

    calls = []
    monkeypatch.setattr(extract_module, "_extract_task", lambda *a: calls.append(a))  # must not be reached
    second = extract_windows(scan.songs, labels=scan.labels, params=PARAMS, config=config, workers=2, cache_dir=cache)
    assert (second.stats.extracted, second.stats.cached) == (0, 12) and calls == []
    np.testing.assert_array_equal(first.features, second.features)
    np.testing.assert_array_equal(first.start_seconds, second.start_seconds)
    with np.load(entries[0], allow_pickle=False) as data:
        assert set(data.files) == {"features", "window", "copy", "start_seconds"}


def test_cache_key_changes_with_settings_and_damaged_entries_are_redone(dataset, tmp_path):
    scan = scan_folder(dataset)
    songs = scan.songs[:2]
    cache = tmp_path / "cache"
    base = ExtractionConfig(windows_per_song=2, seed=1)
    extract_windows(songs, labels=scan.labels, params=PARAMS, config=base, workers=1, cache_dir=cache)
    other_seed = extract_windows(songs, labels=scan.labels, params=PARAMS, config=ExtractionConfig(windows_per_song=2, seed=2),
                                 workers=1, cache_dir=cache)
    assert other_seed.stats.extracted == 2
    other_params = extract_windows(songs, labels=scan.labels, params=FeatureParams(window_seconds=2.0), config=base,
                                   workers=1, cache_dir=cache)
    assert other_params.stats.extracted == 2
    for entry in cache.rglob("*.npz"):
        entry.write_bytes(b"damaged")
    redone = extract_windows(songs, labels=scan.labels, params=PARAMS, config=base, workers=1, cache_dir=cache)
    assert redone.stats.extracted == 2 and redone.stats.cached == 0


def test_extraction_is_seeded_and_independent_of_workers(dataset):
    scan = scan_folder(dataset)
    songs = scan.songs[::3]
    config = ExtractionConfig(windows_per_song=3, seed=5)
    one = extract_windows(songs, labels=scan.labels, params=PARAMS, config=config, workers=1)
    two = extract_windows(songs, labels=scan.labels, params=PARAMS, config=config, workers=2)
    np.testing.assert_array_equal(one.features, two.features)
    other = extract_windows(songs, labels=scan.labels, params=PARAMS, config=ExtractionConfig(windows_per_song=3, seed=6),
                            workers=1)
    assert not np.array_equal(one.start_seconds, other.start_seconds)


def test_failed_songs_are_left_out_and_listed(dataset, tmp_path):
    scan = scan_folder(dataset)
    bad = tmp_path / "vanished.mp3"
    bad.write_bytes(b"garbage that passed no scan")
    songs = [*scan.songs[:2], Song(bad, scan.songs[0].genre, 3.0)]
    windows = extract_windows(songs, labels=scan.labels, params=PARAMS, config=ExtractionConfig(windows_per_song=1),
                              workers=1)
    assert len(windows.songs) == 2 and len(windows) == 2
    assert [f.path for f in windows.stats.failed] == [bad]


def test_augmented_copies_follow_their_window(dataset):
    scan = scan_folder(dataset)
    config = ExtractionConfig(windows_per_song=2, augment=WaveAugmentConfig(copies=2, codec_probability=1.0))
    windows = extract_windows(scan.songs[:1], labels=scan.labels, params=PARAMS, config=config, workers=1)
    assert windows.copy.tolist() == [0, 1, 2, 0, 1, 2] and windows.window.tolist() == [0, 0, 0, 1, 1, 1]
    assert not np.allclose(windows.features[0], windows.features[1])
    assert np.isfinite(windows.features).all()


def test_wave_augmentation_is_seeded_and_changes_the_signal():
    song = audio_factory.make_sound("Sweep", 5.0, seed=1)
    config = WaveAugmentConfig(copies=1, tempo_probability=1.0, tilt_probability=1.0, lowpass_probability=1.0,
                               highpass_probability=1.0, reverb_probability=1.0, noise_probability=1.0,
                               codec_probability=0.0)
    kwargs = dict(start=SR, window_samples=3 * SR, sample_rate=SR, config=config)
    a = augment_window(song, rng=np.random.default_rng(3), **kwargs)
    b = augment_window(song, rng=np.random.default_rng(3), **kwargs)
    c = augment_window(song, rng=np.random.default_rng(4), **kwargs)
    assert a.shape == (3 * SR,) and a.dtype == np.float32 and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert not np.allclose(a, song[SR : 4 * SR])


def test_spec_augment_masks_a_copy():
    batch = np.ones((4, 50, 8), np.float32)
    out = spec_augment(batch, config=SpecAugmentConfig(enabled=True, c0_offset_std=0.0),
                       rng=np.random.default_rng(0))
    assert np.all(batch == 1) and (out == 0).any() and out.shape == batch.shape
    assert spec_augment(batch, config=SpecAugmentConfig(), rng=np.random.default_rng(0)) is batch


# ---------------------------------------------------------------- split
@pytest.fixture(scope="module")
def windowset(tmp_path_factory):
    root = _write_dataset(tmp_path_factory.mktemp("split"), songs_per_genre=5, seconds=3.5)
    scan = scan_folder(root)
    config = ExtractionConfig(windows_per_song=3, augment=WaveAugmentConfig(copies=1, codec_probability=0.0))
    return extract_windows(scan.songs, labels=scan.labels, params=PARAMS, config=config, workers=1)


def test_song_split_keeps_every_song_on_one_side(windowset):
    split = split_windows(windowset, mode=SPLIT_SONG, seed=3)
    sides = [set(windowset.song[idx].tolist()) for idx in (split.train, split.validation, split.test)]
    assert not (sides[0] & sides[1]) and not (sides[0] & sides[2]) and not (sides[1] & sides[2])
    assert split.leaked_songs().size == 0
    # 5 songs per genre -> 3 / 1 / 1, stratified.
    assert split.sizes()["train"]["songs"] == 12 and split.sizes()["test"]["songs"] == 4
    for side in (split.validation, split.test):
        assert np.bincount(windowset.label[side], minlength=4).tolist() == [3, 3, 3, 3]
        assert (windowset.copy[side] == 0).all()  # held-out sides are clean windows only
    assert (windowset.copy[split.train] == 1).sum() == len(split.train) // 2
    again = split_windows(windowset, mode=SPLIT_SONG, seed=3)
    np.testing.assert_array_equal(split.test, again.test)
    assert not np.array_equal(split.test, split_windows(windowset, mode=SPLIT_SONG, seed=4).test)


def test_paper_window_split_leaks_songs(windowset):
    split = split_windows(windowset, mode=SPLIT_WINDOW_PAPER_LEAKY, seed=0)
    assert split.leaked_songs().size > 0
    # An augmented copy never sits apart from its clean window.
    unit = windowset.song * 10 + windowset.window
    assert not set(unit[split.train]) & set(unit[split.test])


def test_split_refuses_too_few_songs_and_bad_options(windowset):
    few = [i for i in range(len(windowset.songs)) if i % 5 < 2]
    keep = np.isin(windowset.song, few)
    small = type(windowset)(
        features=windowset.features[keep], song=np.searchsorted(few, windowset.song[keep]),
        label=windowset.label[keep], window=windowset.window[keep], copy=windowset.copy[keep],
        start_seconds=windowset.start_seconds[keep], songs=[windowset.songs[i] for i in few], labels=windowset.labels,
    )
    with pytest.raises(DatasetError, match="only 2 songs"):
        split_windows(small)
    with pytest.raises(TrainingConfigError):
        split_windows(windowset, mode="random")
    with pytest.raises(TrainingConfigError):
        split_windows(windowset, fractions=(0.5, 0.5, 0.0))


# ---------------------------------------------------------------- evaluation
def test_evaluation_votes_confusion_and_scores():
    labels = ["A", "B"]
    # Song 0 (A): windows A, A, B -> right by both votes. Song 1 (B): one confident A, two weak B.
    probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.99, 0.01], [0.45, 0.55], [0.45, 0.55]])
    y = np.array([0, 0, 0, 1, 1, 1])
    songs = np.array([0, 0, 0, 1, 1, 1])
    ev = evaluate_probabilities(probabilities, y_true=y, songs=songs, labels=labels)
    assert ev.window_accuracy == pytest.approx(4 / 6)
    assert ev.song_accuracy_majority == 1.0  # B wins 2 windows to 1
    assert ev.song_accuracy == 0.5  # mean vote: (0.99 + 0.45 + 0.45) / 3 > 0.5 for A
    assert ev.song_confusion.tolist() == [[1, 0], [1, 0]]
    assert ev.window_confusion.tolist() == [[2, 1], [1, 2]]
    assert ev.per_class["A"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3, abs=1e-6), "support": 1}
    assert ev.window_loss == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.01, 0.55, 0.55])))
    metrics = ev.to_metrics()
    json.dumps(metrics)
    assert metrics["song_accuracy"] == 0.5 and metrics["confusion_matrix"] == [[1, 0], [1, 0]]
    table = format_comparison([("BN-CNN", ev, 1.0)], split_mode="song")
    assert "BN-CNN" in table and "50.0%" in table and "precision" in table
