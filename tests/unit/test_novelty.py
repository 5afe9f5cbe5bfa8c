""""Not like any genre this model knows": the fitted check, the temperature, and what users see."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest

from tests import audio_factory
from training.calibrate import fit_novelty, fit_structure_shortfall, fit_temperature
from urdu_genre_app.cli import main
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.core.classifier import Classifier
from urdu_genre_app.core.errors import ModelBundleError
from urdu_genre_app.core.inference import LiteRtModel, open_bundle
from urdu_genre_app.core.novelty import (
    GaussianClasses,
    NoveltyCalibration,
    StructureShortfall,
    softmax,
    song_novelty,
    structure_lag_frames,
    temporal_structure,
)

SR = audio_factory.SR


@pytest.fixture(scope="session")
def calibrated_bundle_path(tmp_path_factory) -> str:
    """A tiny BN-CNN that knows clicks, sweeps and chords, with the novelty check fitted."""
    folder = tmp_path_factory.mktemp("calibrated_model")
    return str(audio_factory.train_tiny_bundle(
        folder / "calibrated.ugm", labels=audio_factory.CALIBRATED_LABELS, calibrate=True))


def _clusters(rng, n_per_class: int, centres: np.ndarray, spread: float = 1.0):
    labels = np.repeat(np.arange(len(centres)), n_per_class)
    return centres[labels] + spread * rng.standard_normal((labels.size, centres.shape[1])), labels


# ------------------------------------------------------------------ the math
def test_threshold_flags_the_requested_fraction_of_held_out_windows(rng):
    centres = rng.normal(scale=6.0, size=(4, 16))
    h_train, y_train = _clusters(rng, 300, centres)
    h_validation, y_validation = _clusters(rng, 250, centres)
    h_test, _ = _clusters(rng, 2000, centres)
    calibration = fit_novelty(h_train, y_train, h_validation, y_validation, n_classes=4,
                              logit_weights=rng.normal(size=(16, 4)), logit_bias=np.zeros(4))
    assert calibration.flag_fraction == pytest.approx(0.05, abs=0.01)
    # Fresh in-distribution windows are flagged at about that rate; points far from every class are all flagged.
    assert 0.02 < np.mean(calibration.scores(h_test) > 1) < 0.09
    far = centres.mean(axis=0) + rng.normal(scale=20.0, size=(200, 16))
    assert np.mean(calibration.scores(far) > 1) > 0.95


def test_a_direction_training_never_used_is_novel(rng):
    """A feature that was always 0 in training (a ReLU unit that never fired) must not be ignored."""
    centres = np.zeros((3, 8))
    centres[:, :3] = rng.normal(scale=5.0, size=(3, 3))
    h_train, y_train = _clusters(rng, 200, centres)
    h_train[:, 7] = 0.0
    h_validation, y_validation = _clusters(rng, 100, centres)
    h_validation[:, 7] = 0.0
    calibration = fit_novelty(h_train, y_train, h_validation, y_validation, n_classes=3,
                              logit_weights=np.eye(8)[:, :3], logit_bias=np.zeros(3))
    probe = centres[[0]].copy()
    assert calibration.scores(probe)[0] < 1
    probe[0, 7] = 3.0  # as big as the typical spread, but along the unused direction
    assert calibration.scores(probe)[0] > 1


def test_temperature_recovers_the_overconfidence_it_was_made_with(rng):
    true_temperature = 2.5
    logits = rng.normal(scale=4.0, size=(5000, 4))
    cumulative = np.cumsum(softmax(logits / true_temperature).astype(np.float64), axis=1)
    labels = (rng.random((5000, 1)) * cumulative[:, -1:] > cumulative).sum(axis=1)
    assert fit_temperature(logits, labels) == pytest.approx(true_temperature, rel=0.1)


def test_song_score_is_the_median_of_its_windows():
    assert song_novelty([0.5, 3.0, 0.7]) == pytest.approx(0.7)
    assert song_novelty([0.5, None]) is None and song_novelty([]) is None


def _ar1_windows(rng, n: int, rho: float, frames: int = 400, coefficients: int = 6) -> np.ndarray:
    """Windows whose every coefficient is an AR(1) series: lag-k autocorrelation ``rho ** k``."""
    x = np.empty((n, frames, coefficients))
    x[:, 0] = rng.standard_normal((n, coefficients))
    for t in range(1, frames):
        x[:, t] = rho * x[:, t - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((n, coefficients))
    return x


def _moving_average_windows(rng, n: int, taps: int, frames: int = 400, coefficients: int = 6) -> np.ndarray:
    """Windows of unit-variance moving averages: lag-1 autocorrelation ``1 - 1 / taps``, none past ``taps``."""
    white = rng.standard_normal((n, frames + taps - 1, coefficients))
    kernel = np.ones(taps) / np.sqrt(taps)
    return np.stack([np.apply_along_axis(np.convolve, 1, white[..., c], kernel, "valid")
                     for c in range(coefficients)], axis=-1)


def test_temporal_structure_is_the_lag_autocorrelation(rng):
    lag = 3
    assert temporal_structure(_ar1_windows(rng, 20, 0.0), lag) == pytest.approx(np.zeros(20), abs=0.12)
    assert np.mean(temporal_structure(_ar1_windows(rng, 20, 0.8), lag)) == pytest.approx(0.8**lag, abs=0.08)
    still = np.ones((2, 50, 4))  # a coefficient that never moves (a pure tone's) has no structure
    assert temporal_structure(still, lag) == pytest.approx([0.0, 0.0])
    assert structure_lag_frames(22_050, 512) == 9 and structure_lag_frames(16_000, 256) == 12


def test_structure_check_flags_what_has_less_time_structure_than_every_genre_and_only_that(rng):
    """Noise lies short of every genre; a drone with more structure than any genre is no shortfall."""
    lag = 3
    train = np.concatenate([_ar1_windows(rng, 60, 0.75), _ar1_windows(rng, 60, 0.9)])
    labels = np.repeat([0, 1], 60)
    validation = np.concatenate([_ar1_windows(rng, 40, 0.75), _ar1_windows(rng, 40, 0.9)])
    space = fit_structure_shortfall(train, labels, validation, n_classes=2, lag_frames=lag)
    assert space.lowest_mean == pytest.approx(0.75**lag, abs=0.05)
    assert np.all(space.scaled(_ar1_windows(rng, 10, 0.0)) > 3)  # noise
    assert np.all(space.distances(_ar1_windows(rng, 10, 0.99)) == 0)  # more structure than any genre
    assert np.mean(space.scaled(validation) > 1) <= 0.06
    with pytest.raises(ValueError, match="no training windows"):
        fit_structure_shortfall(train, np.zeros_like(labels), validation, n_classes=2, lag_frames=lag)


def test_structure_space_joins_the_combined_score(rng):
    centres = rng.normal(scale=6.0, size=(2, 5))
    h_train, y_train = _clusters(rng, 100, centres)
    h_validation, y_validation = _clusters(rng, 80, centres)
    w_train = np.concatenate([_ar1_windows(rng, 100, 0.75), _ar1_windows(rng, 100, 0.8)])
    w_validation = np.concatenate([_ar1_windows(rng, 80, 0.75), _ar1_windows(rng, 80, 0.8)])
    kwargs = dict(n_classes=2, train_windows=w_train, validation_windows=w_validation,
                  logit_weights=rng.normal(size=(5, 2)), logit_bias=np.zeros(2))
    without = fit_novelty(h_train, y_train, h_validation, y_validation, **kwargs)
    with_structure = fit_novelty(h_train, y_train, h_validation, y_validation, structure_lag_frames=5, **kwargs)
    assert without.structure_space is None and with_structure.structure_space is not None
    assert with_structure.flag_fraction == pytest.approx(0.05, abs=0.02)
    # Windows that look like genre 0 to the model and in their summary (same level, spread and
    # frame-to-frame movement), but whose frames are unrelated 5 frames apart.
    h_probe = centres[[0] * 10]
    noise = _moving_average_windows(rng, 10, taps=4)
    assert np.mean(without.scores(h_probe, noise) > 1) < 0.5
    assert np.all(with_structure.scores(h_probe, noise) > 1)


def test_calibration_round_trips_and_refuses_bad_shapes(rng):
    calibration = NoveltyCalibration(
        model_space=GaussianClasses(class_means=rng.normal(size=(2, 3)), precision=np.eye(3), scale=1.5),
        input_space=GaussianClasses(class_means=rng.normal(size=(2, 6)), precision=2 * np.eye(6), scale=0.5),
        structure_space=StructureShortfall(lag_frames=2, lowest_mean=0.4, spread=0.1, scale=0.7),
        threshold=2.0, flag_fraction=0.05, temperature=1.5, logit_weights=rng.normal(size=(3, 2)),
        logit_bias=np.zeros(2))
    data = json.loads(json.dumps(calibration.to_dict()))
    again = NoveltyCalibration.from_dict(data, n_classes=2)
    probe, windows = rng.normal(size=(5, 3)), rng.normal(size=(5, 7, 2))
    np.testing.assert_allclose(again.scores(probe, windows), calibration.scores(probe, windows))
    np.testing.assert_allclose(again.probabilities(probe), calibration.probabilities(probe), rtol=1e-6)
    assert again.structure_space == calibration.structure_space
    older = {key: value for key, value in data.items() if key != "structure_space"}  # fitted before it existed
    assert NoveltyCalibration.from_dict(older, n_classes=2).structure_space is None
    with pytest.raises(ValueError, match="spread"):
        NoveltyCalibration.from_dict({**data, "structure_space": {**data["structure_space"], "spread": 0}},
                                     n_classes=2)
    with pytest.raises(ValueError, match="needs the MFCC windows"):
        again.scores(probe)
    with pytest.raises(ValueError, match="one row per label"):
        NoveltyCalibration.from_dict(data, n_classes=3)
    with pytest.raises(ValueError, match="positive"):
        NoveltyCalibration.from_dict({**data, "threshold": -1.0}, n_classes=2)


# ------------------------------------------------------------------ through the real classifier
def _noise(seconds: float, seed: int = 5) -> np.ndarray:
    return (0.3 * np.random.default_rng(seed).standard_normal(int(seconds * SR))).astype(np.float32)


def _tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    return (0.4 * np.sin(2 * np.pi * hz * np.arange(int(seconds * SR)) / SR)).astype(np.float32)


def test_calibrated_bundle_flags_noise_and_a_tone_but_not_what_it_knows(calibrated_bundle_path):
    bundle = load_bundle(calibrated_bundle_path)
    assert bundle.novelty is not None
    classifier = Classifier(bundle)
    for name, signal in (("white noise", _noise(9.0)), ("440 Hz tone", _tone(9.0))):
        result = classifier.classify_signal(signal, source=name)
        assert result.unknown is True, (name, [w.novelty for w in result.windows])
        assert all(w.unknown for w in result.voting_windows), name
        assert result.probabilities and abs(sum(result.probabilities.values()) - 1) < 1e-4  # still available
        not_one = f"Not one of {', '.join(bundle.labels)} (closest: {result.genre} {result.confidence:.0%})"
        assert result.verdict_text().startswith(not_one)
    known = [audio_factory.make_sound(kind, 9.0, seed=7_000 + i) for i, kind in
             enumerate(audio_factory.CALIBRATED_LABELS)]
    verdicts = [classifier.classify_signal(signal, source=f"known {i}") for i, signal in enumerate(known)]
    assert [v.unknown for v in verdicts] == [False] * len(known), [v.novelty for v in verdicts]
    assert [v.genre for v in verdicts] == audio_factory.CALIBRATED_LABELS


def test_cli_reports_unknown_in_json_csv_and_text(calibrated_bundle_path, tmp_path, capsys):
    noise = audio_factory.write_audio(tmp_path / "room.wav", _noise(9.0))
    clicks = audio_factory.write_audio(tmp_path / "clicks.flac", audio_factory.make_sound("Clicks", 9.0, seed=99))
    assert main(["classify", "--model", calibrated_bundle_path, "--json", "--windows", str(noise), str(clicks)]) == 0
    by_name = {r["path"].rsplit("/", 1)[-1]: r for r in json.loads(capsys.readouterr().out)}
    assert by_name["room.wav"]["unknown"] is True and by_name["room.wav"]["novelty_score"] > 1
    assert all(w["unknown"] is True and w["novelty_score"] > 1 for w in by_name["room.wav"]["windows"])
    assert by_name["room.wav"]["genre"] in audio_factory.CALIBRATED_LABELS  # the probabilities stay
    assert by_name["clicks.flac"]["unknown"] is False and by_name["clicks.flac"]["novelty_score"] <= 1

    assert main(["classify", "--model", calibrated_bundle_path, "--csv", str(noise)]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["unknown"] == "True" and float(row["novelty_score"]) > 1
    assert main(["classify", "--model", calibrated_bundle_path, "--csv", "--windows", str(noise)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and all(r["unknown"] == "True" for r in rows)

    assert main(["classify", "--model", calibrated_bundle_path, "--windows", str(noise)]) == 0
    out = capsys.readouterr().out
    not_one = f"Not one of {', '.join(audio_factory.CALIBRATED_LABELS)} (closest: "
    assert f"room.wav\t{not_one}" in out
    assert f"0:00-0:03  {not_one}" in out


# ------------------------------------------------------------------ bundles made before the check
def test_old_bundle_loads_and_says_the_check_is_unavailable(tiny_bundle_path, tmp_path, capsys):
    with zipfile.ZipFile(tiny_bundle_path) as archive:
        metadata = json.loads(archive.read("bundle.json"))
    assert metadata["format_version"] == 1 and "novelty" not in metadata  # as bundles were before the check
    bundle = load_bundle(tiny_bundle_path)
    assert bundle.novelty is None
    result = Classifier(bundle).classify_signal(_noise(9.0))
    assert result.unknown is None and result.novelty is None
    assert all(w.unknown is None for w in result.windows)
    path = audio_factory.write_audio(tmp_path / "room.wav", _noise(9.0))
    assert main(["classify", "--model", tiny_bundle_path, "--json", "--windows", str(path)]) == 0
    payload = json.loads(capsys.readouterr().out)[0]
    assert payload["unknown"] is None and payload["novelty_score"] is None
    assert payload["windows"][0]["unknown"] is None
    assert main(["classify", "--model", tiny_bundle_path, "--csv", str(path)]) == 0
    assert next(csv.DictReader(io.StringIO(capsys.readouterr().out)))["unknown"] == ""


def test_calibrated_bundle_is_format_2_and_its_model_outputs_features(calibrated_bundle_path):
    with zipfile.ZipFile(calibrated_bundle_path) as archive:
        metadata = json.loads(archive.read("bundle.json"))
    assert metadata["format_version"] == 2 and metadata["novelty"]["threshold"] > 0
    model = LiteRtModel(load_bundle(calibrated_bundle_path))
    assert model.has_features and model.feature_size == 64


def test_a_check_without_the_feature_output_is_refused(tiny_bundle_path, calibrated_bundle_path, tmp_path):
    """bundle.json promising a check that the LiteRT model cannot feed is a damaged bundle."""
    with zipfile.ZipFile(calibrated_bundle_path) as archive:
        novelty = json.loads(archive.read("bundle.json"))["novelty"]
    # Four classes, as the uncalibrated tiny model has.
    for space in ("model_space", "input_space"):
        novelty[space]["class_means"] = novelty[space]["class_means"] + novelty[space]["class_means"][:1]
    novelty["logit_weights"] = [row + row[:1] for row in novelty["logit_weights"]]
    novelty["logit_bias"] = novelty["logit_bias"] + novelty["logit_bias"][:1]
    broken = tmp_path / "broken.ugm"
    with zipfile.ZipFile(tiny_bundle_path) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "bundle.json":
                metadata = json.loads(data)
                metadata.update(novelty=novelty, format_version=2)
                data = json.dumps(metadata).encode()
            target.writestr(info, data)
    with pytest.raises(ModelBundleError, match="penultimate features"):
        open_bundle(broken)


def test_the_bundled_bn_cnn_carries_the_check_and_flags_a_tone_and_noise():
    from urdu_genre_app.resources import paper_model_path

    bundle = load_bundle(paper_model_path(), with_keras=False)
    assert bundle.novelty is not None and bundle.novelty.input_space is not None
    assert bundle.novelty.structure_space is not None
    classifier = Classifier(bundle)
    for name, signal in (("440 Hz tone", _tone(45.0)), ("white noise", _noise(45.0))):
        result = classifier.classify_signal(signal, source=name)
        assert result.unknown is True and result.probabilities, name  # flagged, the probabilities still there


@pytest.mark.slow
def test_the_calibrate_command_gives_an_uncalibrated_bundle_its_check(tiny_bundle_path, tmp_path, capsys):
    """``urdu-genre calibrate`` (once ``python -m training.calibrate``): the Keras half is kept byte for byte."""
    train = audio_factory.write_labeled_folder(tmp_path / "train", songs_per_genre=2, seconds=4.0, seed=300)
    validation = audio_factory.write_labeled_folder(tmp_path / "validation", songs_per_genre=2, seconds=4.0,
                                                    seed=400)
    out = tmp_path / "calibrated.ugm"
    assert load_bundle(tiny_bundle_path).novelty is None
    assert main(["calibrate", tiny_bundle_path, "--train", str(train), "--validation", str(validation),
                 "--out", str(out), "--workers", "1"]) == 0
    assert "wrote" in capsys.readouterr().out
    bundle, model = open_bundle(out, with_keras=True)
    original = load_bundle(tiny_bundle_path)
    assert bundle.novelty is not None and model.has_features
    assert bundle.keras_model == original.keras_model and bundle.labels == original.labels
    assert bundle.metrics["novelty"]["train_songs"] == 8 and bundle.metrics["novelty"]["validation_songs"] == 8
    assert bundle.provenance["calibration"]["command"].startswith("urdu-genre calibrate ")


def test_the_calibrate_command_names_a_genre_the_model_lacks(tiny_bundle_path, tmp_path, capsys):
    folder = tmp_path / "songs"
    (folder / "Qawwali").mkdir(parents=True)
    (folder / "Tone").mkdir()
    for genre in ("Qawwali", "Tone"):
        for i in range(2):
            audio_factory.write_audio(folder / genre / f"{i}.wav", audio_factory.make_sound("Tone", 3.0, seed=i))
    assert main(["calibrate", tiny_bundle_path, "--train", str(folder), "--validation", str(folder),
                 "--out", str(tmp_path / "x.ugm")]) == 2
    err = capsys.readouterr().err
    assert "Qawwali" in err and "not among the model's labels" in err and err.count("\n") == 1


def test_a_fine_tunes_check_report_is_said_in_words_not_printed_as_a_dict():
    from training.calibrate import describe_novelty_report

    report = {"validation": "the 60 clean windows of the confirmed songs", "validation_windows": 60,
              "validation_windows_flagged_unknown": 0.05, "temperature": 1.0, "validation_nll_before": 0.8377,
              "validation_nll_after": 0.0472, "other_class": "refitted with the genre columns",
              "structure_check": "kept from the bundle it was fine-tuned from"}
    text = describe_novelty_report(report)
    assert "{" not in text and "'" not in text
    assert text.startswith("novelty check fitted: it flags 5% of 60 validation windows")
    assert "other-music class: refitted with the genre columns" in text
    assert "structure check: kept from the bundle it was fine-tuned from" in text
    assert "temperature 1.00 (validation loss 0.838 -> 0.047)" in text
    assert describe_novelty_report({"validation_windows": 3}) == "novelty check fitted"
