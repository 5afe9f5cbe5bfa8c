"""The classifier end to end on a real (small) model: verdicts, callbacks, cancel, silence."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tests import audio_factory
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.core.classifier import Classifier
from urdu_genre_app.core.errors import AudioTooShortError, CancelledError
from urdu_genre_app.core.results import results_to_csv
from urdu_genre_app.core.windows import hop_samples, window_starts


@pytest.fixture(scope="module")
def classifier(tiny_bundle_path) -> Classifier:
    return Classifier(load_bundle(tiny_bundle_path), batch_size=4)


@pytest.mark.parametrize("label", audio_factory.TINY_LABELS)
def test_each_sound_gets_its_own_verdict(classifier, tmp_path, label):
    path = audio_factory.write_audio(tmp_path / f"{label}.flac", audio_factory.make_sound(label, 11.0, seed=777))
    result = classifier.classify_file(path)
    assert result.status == "ok"
    assert result.genre == label, result.to_dict()
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_every_window_reported_in_order_with_features(classifier, tmp_path):
    signal = audio_factory.make_sound("Sweep", 10.4, seed=5)
    path = audio_factory.write_audio(tmp_path / "sweep.wav", signal)
    reports = []
    result = classifier.classify_file(path, on_window=reports.append)
    bundle = classifier.bundle
    expected_starts = window_starts(signal.size, 3 * 22_050, hop_samples(bundle.feature_params, bundle.window_policy))
    assert [r.result.index for r in reports] == list(range(len(expected_starts)))
    assert [round(r.result.start_seconds * 22_050) for r in reports] == expected_starts
    assert all(r.features.shape == (130, 32) for r in reports)
    assert reports[-1].progress == pytest.approx(1.0, abs=0.02)
    assert [r.result for r in reports] == result.windows
    assert result.duration_seconds == pytest.approx(10.4, abs=0.01)


def test_batching_does_not_change_results(tiny_bundle_path, tmp_path):
    path = audio_factory.write_audio(tmp_path / "tone.wav", audio_factory.make_sound("Tone", 9.0, seed=8))
    bundle = load_bundle(tiny_bundle_path)
    one = Classifier(bundle, batch_size=1).classify_file(path)
    many = Classifier(bundle, batch_size=16).classify_file(path)
    np.testing.assert_allclose([w.probabilities for w in one.windows], [w.probabilities for w in many.windows],
                               atol=1e-5)


def test_silence_is_reported_as_silence(classifier, tmp_path):
    path = audio_factory.write_audio(tmp_path / "quiet.wav", np.zeros(22_050 * 7, dtype=np.float32))
    result = classifier.classify_file(path)
    assert result.status == "silence" and result.genre is None
    assert all(w.silent and w.probabilities == () for w in result.windows)
    assert "silence" in result.verdict_text()


def test_short_clip_is_classified_and_flagged(classifier, tmp_path):
    path = audio_factory.write_audio(tmp_path / "short.wav", audio_factory.make_sound("Clicks", 1.6, seed=9))
    result = classifier.classify_file(path)
    assert result.short and len(result.windows) == 1
    assert result.genre == "Clicks"
    assert "short clip" in result.verdict_text()
    assert any("shorter than one" in w for w in result.warnings)


def test_too_short_clip_is_refused(classifier, tmp_path):
    path = audio_factory.write_audio(tmp_path / "blip.wav", audio_factory.make_sound("Tone", 0.3))
    with pytest.raises(AudioTooShortError, match="blip.wav.*0.30 s"):
        classifier.classify_file(path)


def test_cancel_stops_between_windows(classifier, tmp_path):
    path = audio_factory.write_audio(tmp_path / "long.wav", audio_factory.make_sound("Noise", 30.0))
    seen = []
    with pytest.raises(CancelledError):
        classifier.classify_file(path, on_window=seen.append, is_cancelled=lambda: len(seen) >= 2)
    assert 2 <= len(seen) < 10


def test_signal_and_file_agree(classifier, tmp_path):
    signal = audio_factory.make_sound("Tone", 8.0, seed=10)
    path = audio_factory.write_audio(tmp_path / "tone.wav", signal)
    from_file = classifier.classify_file(path)
    from_signal = classifier.classify_signal(signal, source="rec")
    np.testing.assert_allclose(list(from_file.probabilities.values()), list(from_signal.probabilities.values()),
                               atol=1e-3)


def test_uncertain_flag_follows_the_rule(classifier):
    from urdu_genre_app.core.results import SongResult, WindowResult

    sure = SongResult("a", ["A", "B"], [WindowResult(0, 0, 30, (0.9, 0.1))])
    torn = SongResult("b", ["A", "B"], [WindowResult(0, 0, 30, (0.9, 0.1)), WindowResult(1, 15, 45, (0.2, 0.8))])
    assert not sure.uncertain and torn.uncertain
    csv_text = results_to_csv([sure, torn])
    assert csv_text.splitlines()[0].endswith("A,B") and len(csv_text.splitlines()) == 3


def test_classify_path_never_imports_tensorflow(tiny_bundle_path, tmp_path):
    path = audio_factory.write_audio(tmp_path / "x.mp3", audio_factory.make_sound("Tone", 5.0))
    code = (
        "import sys\n"
        "from urdu_genre_app.cli import main\n"
        f"code = main(['classify', '--model', {tiny_bundle_path!r}, {str(path)!r}])\n"
        "assert code == 0, code\n"
        "bad = [m for m in ('tensorflow', 'keras', 'librosa', 'PySide6', 'matplotlib') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
