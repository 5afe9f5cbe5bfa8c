"""Model bundles: round trip, and refusal of damaged, foreign or unsafe files."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest

from urdu_genre_app.core.bundle import load_bundle, save_bundle
from urdu_genre_app.core.errors import ModelBundleError
from urdu_genre_app.core.inference import open_bundle


def _rewrite(source, target, *, edit_metadata=None, replace=None, extra=None):
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if edit_metadata:
        metadata = json.loads(members["bundle.json"])
        edit_metadata(metadata)
        members["bundle.json"] = json.dumps(metadata).encode()
    members.update(replace or {})
    members.update(extra or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def test_round_trip_keeps_everything(tiny_bundle_path, tmp_path):
    bundle = load_bundle(tiny_bundle_path)
    bundle.metrics["song_accuracy"] = 0.5
    copy = save_bundle(bundle, tmp_path / "sub" / "copy.ugm")
    again = load_bundle(copy)
    assert again.labels == bundle.labels
    assert again.feature_params == bundle.feature_params
    assert again.window_policy == bundle.window_policy
    np.testing.assert_array_equal(again.feature_mean, bundle.feature_mean)
    assert again.tflite_model == bundle.tflite_model and again.keras_model == bundle.keras_model
    assert again.test_accuracy == 0.5
    assert [p.name for p in copy.parent.iterdir()] == ["copy.ugm"], "atomic write left a temporary file"
    assert copy.stat().st_mode & 0o044, "a model file should be readable by others, like any document"
    assert load_bundle(copy, with_keras=False).labels == bundle.labels  # the classify path reads it too


def test_architecture_options_round_trip_and_are_absent_from_bundles_without_them(tiny_bundle_path, tmp_path):
    bundle = load_bundle(tiny_bundle_path)
    assert bundle.architecture_options == {}
    with zipfile.ZipFile(tiny_bundle_path) as archive:  # not written at all: older apps see the same file
        assert "architecture_options" not in json.loads(archive.read("bundle.json"))
    bundle.architecture_options = {"patches_per_window": 3}
    again = load_bundle(save_bundle(bundle, tmp_path / "options.ugm"))
    assert again.architecture_options == {"patches_per_window": 3}


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda src, dst: dst.write_bytes(b"not a zip at all"), "not a model bundle"),
        (lambda src, dst: dst.write_bytes(src.read_bytes()[:5000]), "not a model bundle|damaged"),
        (lambda src, dst: _rewrite(src, dst, replace={"model.tflite": b"\0" * 64}), "checksum mismatch"),
        (lambda src, dst: _rewrite(src, dst, extra={"payload.pkl": b"x"}), "unexpected files"),
        (lambda src, dst: _rewrite(src, dst, edit_metadata=lambda m: m.update(format="other")), "wrong format"),
        (lambda src, dst: _rewrite(src, dst, edit_metadata=lambda m: m.update(format_version=99)), "newer version"),
        (lambda src, dst: _rewrite(src, dst, edit_metadata=lambda m: m.update(labels=["A"])), "at least two|labels is invalid.*too short"),
        (lambda src, dst: _rewrite(src, dst, edit_metadata=lambda m: m["features"].update(n_mfcc=20)),
         "normalisation does not match|expects input"),
        (lambda src, dst: _rewrite(src, dst, edit_metadata=lambda m: m.update(labels=["A", "B", "C"])), "outputs"),
        (lambda src, dst: _rewrite(src, dst, replace={"bundle.json": b"{oops"}), "not valid JSON"),
        (lambda src, dst: _rewrite(src, dst, edit_metadata=lambda m: m.update(architecture_options=[3])),
         "architecture_options"),
    ],
    ids=["not-zip", "truncated", "corrupt-model", "extra-member", "foreign", "newer", "one-label",
         "feature-mismatch", "label-count", "bad-json", "options-not-object"],
)
def test_bad_bundles_are_refused_with_reason(tiny_bundle_path, tmp_path, make, reason):
    from pathlib import Path

    target = tmp_path / "bad.ugm"
    make(Path(tiny_bundle_path), target)
    with pytest.raises(ModelBundleError, match=reason) as caught:
        open_bundle(target)  # the file's checks (load_bundle), then its model against them
    assert str(target) in str(caught.value)


def test_missing_bundle(tmp_path):
    with pytest.raises(ModelBundleError, match="no such model file"):
        load_bundle(tmp_path / "nope.ugm")


def test_keras_safe_mode_refuses_lambda_layer(tiny_bundle_path, tmp_path):
    """A .keras archive with a Lambda layer would run code on load: refused."""
    import keras

    from training.export import keras_model_from_bundle

    inputs = keras.Input(shape=(4,))
    unsafe = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    keras_path = tmp_path / "unsafe.keras"
    unsafe.save(keras_path)
    bundle = load_bundle(tiny_bundle_path)
    bundle.keras_model = keras_path.read_bytes()
    shutil.copy(tiny_bundle_path, tmp_path / "x.ugm")
    with pytest.raises(ModelBundleError, match="could not be loaded safely"):
        keras_model_from_bundle(bundle)
    bundle = load_bundle(tiny_bundle_path)
    assert keras_model_from_bundle(bundle).count_params() > 0


def test_the_accuracy_says_what_it_counts_when_the_bundle_says_so(tmp_path):
    import dataclasses

    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.resources import bundled_model_path

    bundle = load_bundle(bundled_model_path(), with_keras=False)
    plain = dataclasses.replace(bundle, metrics={"song_accuracy": 0.75})
    assert plain.accuracy_text == "75.0% song-level test accuracy"
    counted = dataclasses.replace(bundle, metrics={"song_accuracy": 0.75,
                                                   "song_accuracy_is": "held-out real songs, by artist"})
    assert counted.accuracy_text == "75.0% song accuracy (held-out real songs, by artist)"
    assert counted.accuracy_text in counted.describe()
