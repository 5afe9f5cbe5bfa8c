"""`urdu-genre self-test`: each check's verdict, its one line, and the exit status."""

from __future__ import annotations

import io
import json
import shutil
import sys

import pytest

from urdu_genre_app import selftest
from urdu_genre_app.cli import main


def _raise(error):
    def check():
        raise error
    return check


def test_exit_status_and_one_line_per_check():
    stream = io.StringIO()
    checks = (("first", lambda: "fine"), ("second", _raise(selftest.NotInThisBuild("not here"))))
    assert selftest.run_self_test(checks, stream=stream) == 0
    lines = stream.getvalue().splitlines()
    assert lines == ["ok   first: fine", "--   second: not here",
                     "self-test: all 1 checks of this build passed (second not in this build)"]


@pytest.mark.parametrize("error, shown", [
    (selftest.CheckFailed("the sample is damaged"), "FAIL broken: the sample is damaged"),
    (RuntimeError("boom"), "FAIL broken: RuntimeError: boom"),
])
def test_any_failure_fails_the_run_and_the_rest_still_run(error, shown):
    stream = io.StringIO()
    ran = []
    checks = (("broken", _raise(error)), ("after", lambda: ran.append(1) or "ran"))
    assert selftest.run_self_test(checks, stream=stream) == 1
    lines = stream.getvalue().splitlines()
    assert lines[0] == shown and ran == [1] and lines[-1] == "self-test: FAILED (broken)"


def test_bundled_model_and_shipped_sample_pass():
    from urdu_genre_app.resources import BUNDLED_MODEL_NAME

    assert BUNDLED_MODEL_NAME in selftest.check_model()
    detail = selftest.check_sample()
    manifest = json.loads(selftest_manifest().read_text())
    assert f"-> {manifest['expected_genre']}" in detail


def selftest_manifest():
    from urdu_genre_app.resources import selftest_manifest_path

    return selftest_manifest_path()


@pytest.fixture
def copied_resources(tmp_path, monkeypatch):
    """A copy of resources/ that the app uses instead of the real one."""
    from urdu_genre_app import resources

    copy = tmp_path / "resources"
    shutil.copytree(resources.resources_root(), copy)
    monkeypatch.setattr(resources, "resources_root", lambda: copy)
    return copy


def test_a_damaged_sample_fails(copied_resources):
    manifest = json.loads((copied_resources / "samples" / "selftest.json").read_text())
    sample = copied_resources / "samples" / manifest["sample"]
    sample.write_bytes(sample.read_bytes()[:-100])
    with pytest.raises(selftest.CheckFailed, match="damaged"):
        selftest.check_sample()


def test_a_wrong_verdict_fails(copied_resources):
    path = copied_resources / "samples" / "selftest.json"
    manifest = json.loads(path.read_text())
    manifest["expected_genre"] = "Rock" if manifest["expected_genre"] != "Rock" else "Ghazal"
    path.write_text(json.dumps(manifest))
    with pytest.raises(selftest.CheckFailed, match=f"expected {manifest['expected_genre']}"):
        selftest.check_sample()


def test_a_missing_model_fails(copied_resources):
    for model in (copied_resources / "models").iterdir():
        model.unlink()
    with pytest.raises(selftest.CheckFailed, match="no bundled model"):
        selftest.check_model()


def test_no_audio_device_is_reported_but_not_a_failure(monkeypatch):
    sounddevice = pytest.importorskip("sounddevice")
    monkeypatch.setattr(sounddevice, "query_devices", lambda: [])
    detail = selftest.check_audio()
    assert "no audio device" in detail and "not a failure" in detail


def test_portaudio_missing_is_a_failure(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # the import fails, as without libportaudio
    with pytest.raises(selftest.CheckFailed, match="PortAudio cannot be loaded"):
        selftest.check_audio()


def test_training_is_absent_not_failed_without_tensorflow(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    result = selftest.run_check("training", selftest.check_training)
    assert result.status == "absent" and "not in this build" in result.detail


@pytest.mark.slow
def test_training_check_trains_every_family_and_classifies():
    detail = selftest.check_training()
    for family in selftest.training_families():
        assert family in detail
    assert "exported" in detail


def test_cli_runs_the_self_test(monkeypatch, capsys):
    monkeypatch.setattr(selftest, "CHECKS", (("only", lambda: "checked"),))
    monkeypatch.setattr(selftest.run_self_test, "__defaults__", (selftest.CHECKS,))
    assert main(["self-test"]) == 0
    assert "ok   only: checked" in capsys.readouterr().out
