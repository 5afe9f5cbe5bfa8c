"""Fixtures for driving the real main window offscreen: settings in tmp, a sound server or the fake streams."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from tests import audio_factory
from tests.gui import fake_sounddevice

log = logging.getLogger(__name__)

pytestmark = pytest.mark.gui

NULL_SINK = "urdu_genre_test_sink"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    """Recordings, logs and the model choice stay inside the test's tmp folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("URDU_GENRE_MODEL", raising=False)


@pytest.fixture
def settings(tmp_path):
    """App settings in an INI file of this test."""
    from urdu_genre_app.gui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, settings):
    """Build, show and start the real MainWindow; waits for the model (or its failure) and the charts."""
    from urdu_genre_app.gui.main_window import MainWindow

    windows = []

    def make(model_path: str | None, *, files=None, wait_charts: bool = True, use_settings=None):
        window = MainWindow(settings=use_settings or settings, model_path=model_path)
        windows.append(window)
        window.show()
        window.start(files)
        qtbot.waitUntil(lambda: window._started and not window.model_loading
                        and window.classify_widget.state.model_state != "loading", timeout=120_000)
        if wait_charts:
            qtbot.waitUntil(lambda: window.classify_widget.charts.segment_chart is not None, timeout=120_000)
        return window

    yield make
    for window in windows:  # closing runs closeEvent: work drained, recording finalised
        window.close()
        window.deleteLater()
    qtbot.wait(10)


@pytest.fixture
def song_path(tmp_path) -> Path:
    """A 10.5 s WAV: tone, then clicks, then a sweep (several segments for the 3 s test model)."""
    signal = np.concatenate([
        audio_factory.make_sound("Tone", 3.5, seed=11),
        audio_factory.make_sound("Clicks", 3.5, seed=12),
        audio_factory.make_sound("Sweep", 3.5, seed=13),
    ])
    return audio_factory.write_audio(tmp_path / "song.wav", signal)


def _run(*args: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def pulse_audio():
    """A PulseAudio server with a null sink as the default output (its monitor as the default input).

    Uses a running server if there is one, else starts one for the session.
    Yields None where that is impossible (no pulseaudio, no PortAudio, no
    ALSA-to-Pulse plugin); tests then use the fake streams.
    """
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        yield None
        return
    started = None
    module_index = None
    try:
        if _run("pactl", "info").returncode != 0:
            started = subprocess.Popen(
                ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--system=false", "--log-target=stderr"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 8
            while _run("pactl", "info").returncode != 0:
                if time.monotonic() > deadline or started.poll() is not None:
                    raise RuntimeError("pulseaudio did not start")
                time.sleep(0.2)
        loaded = _run("pactl", "load-module", "module-null-sink", f"sink_name={NULL_SINK}")
        if loaded.returncode != 0:
            raise RuntimeError(f"cannot load a null sink: {loaded.stderr}")
        module_index = loaded.stdout.strip()
        _run("pactl", "set-default-sink", NULL_SINK)
        _run("pactl", "set-default-source", f"{NULL_SINK}.monitor")
        from urdu_genre_app.core.audio_devices import list_input_devices, rescan_devices, sounddevice_module

        rescan_devices()
        sd = sounddevice_module()
        outputs = [d for d in sd.query_devices() if d["max_output_channels"] > 0]
        if not outputs or not list_input_devices():
            raise RuntimeError("PortAudio sees no PulseAudio devices")
    except Exception as error:  # no server, no plugin, no PortAudio: fall back to the fake streams
        log.warning("no PulseAudio for the GUI tests (%s); using the fake streams", error)
        _stop_pulse(started, module_index)
        yield None
        return
    yield NULL_SINK
    _stop_pulse(started, module_index)


def _stop_pulse(started, module_index) -> None:
    if module_index:
        _run("pactl", "unload-module", module_index)
    if started is not None and started.poll() is None:
        started.terminate()
        try:
            started.wait(timeout=5)
        except subprocess.TimeoutExpired:
            started.kill()
    try:
        from urdu_genre_app.core.audio_devices import rescan_devices

        rescan_devices()
    except Exception:
        pass


@pytest.fixture
def fake_audio(monkeypatch):
    """The fake PortAudio streams and device list (one output, one 22,050 Hz input)."""
    fake_sounddevice.FakeInputStream.source = np.zeros(0, dtype=np.float32)
    fake_sounddevice.FakeInputStream.speed = 1.0
    return fake_sounddevice.install(monkeypatch)
