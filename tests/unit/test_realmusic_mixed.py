"""The mixed real + synthetic training folder (training/realmusic/mixed.py): split by artist, labelled, checked."""

from __future__ import annotations

import hashlib

import pytest

from tests import audio_factory
from training.errors import DatasetError
from training.realmusic import mixed
from training.realmusic.corpus import COLUMNS, read_manifest, write_rows


def _corpus(root):
    """A tiny open-music corpus: rock by two artists (one also has other music), hip-hop by one, other by three."""
    songs = [("rock", "ann"), ("rock", "ann"), ("rock", "bob"), ("hiphop", "cat"), ("hiphop", "cat"),
             ("other", "ann"), ("other", "dan"), ("other", "eve"), ("other", "eve")]
    rows = []
    for number, (genre, artist) in enumerate(songs):
        path = root / genre / f"{genre}{number}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        audio_factory.write_audio(path, audio_factory.make_sound("Tone", 0.2, seed=number))
        rows.append({c: "" for c in COLUMNS} | {
            "path": f"{genre}/{path.name}", "genre": genre, "artist": artist, "licence": "CC0-1.0",
            "attribution": artist, "source": "test", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "duration_seconds": "0.2"})
    manifest = root / "open_music.tsv"
    with open(manifest, "w", encoding="utf-8", newline="") as out:
        write_rows(rows, out)
    return manifest


def _synthetic(root):
    for genre in ("Ghazal", "Rock"):
        for number in range(4):
            path = root / genre / f"{genre.lower()}_{number:03d}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            audio_factory.write_audio(path, audio_factory.make_sound("Tone", 0.2, seed=10 + number))
    return root


def _names(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_named_artists_are_held_out_whole_and_the_rest_is_labelled(tmp_path):
    manifest = _corpus(tmp_path / "corpus")
    result = mixed.link_mixed(tmp_path / "mix", _synthetic(tmp_path / "synth"), hold_out_artists=["ann", "eve"],
                              root=tmp_path / "corpus", manifest=manifest)
    assert _names(result.train) == sorted([
        "Hip-hop/hiphop3.wav", "Hip-hop/hiphop4.wav", "Rock/rock2.wav",
        "Ghazal/synthetic-ghazal_000.wav", "Ghazal/synthetic-ghazal_001.wav", "Ghazal/synthetic-ghazal_002.wav",
        "Rock/synthetic-rock_000.wav", "Rock/synthetic-rock_001.wav", "Rock/synthetic-rock_002.wav"])
    assert _names(result.validation) == ["Ghazal/synthetic-ghazal_003.wav", "Rock/synthetic-rock_003.wav"]
    assert _names(result.other) == ["other6.wav"]
    held = read_manifest(result.held_out)
    assert {e.artist for e in held} == {"ann", "eve"} == set(result.held_out_artists)
    assert sorted(e.path for e in held) == ["other/other5.wav", "other/other7.wav", "other/other8.wav",
                                            "rock/rock0.wav", "rock/rock1.wav"]
    # The links are the corpus's bytes.
    assert (result.train / "Rock" / "rock2.wav").read_bytes() == (tmp_path / "corpus/rock/rock2.wav").read_bytes()
    assert mixed.artist_by_file_name(manifest)["rock2.wav"] == "bob"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_seeded_split_never_puts_an_artist_on_both_sides(tmp_path, seed):
    manifest = _corpus(tmp_path / "corpus")
    result = mixed.link_mixed(tmp_path / "mix", None, held_out_fraction=0.5, seed=seed, root=tmp_path / "corpus",
                              manifest=manifest)
    held_artists = {e.artist for e in read_manifest(result.held_out)}
    by_name = mixed.artist_by_file_name(manifest)
    trained = {by_name[p.name] for p in list(result.train.rglob("*.wav")) + list(result.other.rglob("*.wav"))}
    assert held_artists and trained and not held_artists & trained


def test_south_asian_other_music_is_never_a_negative(tmp_path, monkeypatch):
    from training.realmusic import build

    manifest = _corpus(tmp_path / "corpus")
    monkeypatch.setattr(build, "SOUTH_ASIAN_OTHER", frozenset({"other/other6.wav"}))
    result = mixed.link_mixed(tmp_path / "mix", None, hold_out_artists=["eve"], root=tmp_path / "corpus",
                              manifest=manifest)
    assert _names(result.other) == ["other5.wav"]


def test_an_unknown_artist_a_used_folder_or_a_changed_file_is_refused(tmp_path):
    manifest = _corpus(tmp_path / "corpus")
    with pytest.raises(DatasetError, match="zed"):
        mixed.link_mixed(tmp_path / "a", None, hold_out_artists=["zed"], root=tmp_path / "corpus", manifest=manifest)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")
    with pytest.raises(DatasetError, match="not empty"):
        mixed.link_mixed(tmp_path / "b", None, root=tmp_path / "corpus", manifest=manifest)
    (tmp_path / "corpus/rock/rock2.wav").write_bytes(b"changed")
    with pytest.raises(DatasetError, match="sha256"):
        mixed.link_mixed(tmp_path / "c", None, root=tmp_path / "corpus", manifest=manifest)
    assert not (tmp_path / "c").exists()


def test_the_other_music_can_also_be_a_class_to_train_on(tmp_path):
    manifest = _corpus(tmp_path / "corpus")
    result = mixed.link_mixed(tmp_path / "mix", None, hold_out_artists=["eve"], root=tmp_path / "corpus",
                              manifest=manifest, other_genre="Other")
    assert _names(result.train / "Other") == _names(result.other) == ["other5.wav", "other6.wav"]


def test_two_synthetic_corpora_keep_their_songs_apart(tmp_path):
    manifest = _corpus(tmp_path / "corpus")
    first, second = _synthetic(tmp_path / "numpy"), _synthetic(tmp_path / "sampled")
    result = mixed.link_mixed(tmp_path / "mix", [first, second], hold_out_artists=["eve"], root=tmp_path / "corpus",
                              manifest=manifest)
    ghazal = _names(result.train / "Ghazal") + _names(result.validation / "Ghazal")
    assert len(ghazal) == 8 and "synthetic-numpy-ghazal_000.wav" in ghazal and "synthetic-sampled-ghazal_000.wav" in ghazal


@pytest.mark.slow
def test_a_bundle_trained_on_the_folder_records_its_real_files(tmp_path, tiny_bundle_path, monkeypatch):
    import shutil

    from training.realmusic import record
    from urdu_genre_app.core.bundle import load_bundle

    manifest = _corpus(tmp_path / "corpus")
    monkeypatch.setattr(record, "read_manifest", lambda path=None, genres=None: read_manifest(manifest, genres=genres))
    result = mixed.link_mixed(tmp_path / "mix", _synthetic(tmp_path / "synth"), hold_out_artists=["eve"],
                              root=tmp_path / "corpus", manifest=manifest)
    bundle_path = shutil.copy(tiny_bundle_path, tmp_path / "b.ugm")
    before = load_bundle(bundle_path)
    real = record.record(bundle_path, result.held_out.parent)
    after = load_bundle(bundle_path)
    assert after.provenance["trained_on"] == record.TRAINED_ON and "real" in after.describe()
    assert not after.is_synthetic and after.tflite_model == before.tflite_model
    assert sorted(r["path"] for r in real["files"]) == ["hiphop/hiphop3.wav", "hiphop/hiphop4.wav", "other/other5.wav",
                                                        "other/other6.wav", "rock/rock0.wav", "rock/rock1.wav",
                                                        "rock/rock2.wav"]
    assert real["licences"] == {"CC0-1.0": 7} and "eve" not in real["artists"]
    record.main([str(bundle_path), "--mixed", str(result.held_out.parent), "--held-out", "19/28",
                 "--held-out-is", "held-out real rock and hip-hop"])
    measured = load_bundle(bundle_path)
    assert measured.accuracy_text.startswith("68% song accuracy (held-out real rock and hip-hop on 28 songs; 95 % sure")
    assert measured.test_accuracy == 19 / 28
    assert measured.metrics.items() >= before.metrics.items()  # the test split's own figures are kept beside it
