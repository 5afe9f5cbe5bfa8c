"""A stand-in for the lowest audio layer only: PortAudio streams and the device list.

The app's own code (player, recorder, ring buffer, timers, window) runs
unchanged; these objects call its real callbacks from a thread, paced like a
sound card, as PortAudio would. Used where no audio device (PulseAudio) is
available, and to feed a known file through the real recording path.
"""

from __future__ import annotations

import threading
import time
import types

import numpy as np

#: Frames per callback, as a typical PortAudio block.
BLOCK = 512


class _FakeStream:
    latency = 0.02

    def __init__(self, *, samplerate, channels=1, dtype="float32", callback=None, device=None, **_ignored):
        self.samplerate = float(samplerate)
        self.channels = channels
        self.callback = callback
        self.device = device
        self.speed = 1.0
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self.callbacks = 0
        self.closed = False

    def start(self):
        self._running.set()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        period = BLOCK / self.samplerate / self.speed
        next_time = time.monotonic()
        while self._running.is_set():
            if not self._step():
                break
            self.callbacks += 1
            next_time += period
            time.sleep(max(0.0, next_time - time.monotonic()))

    def stop(self):
        self._running.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    abort = stop

    def close(self):
        self.stop()
        self.closed = True

    @property
    def active(self):
        return self._running.is_set()


class FakeOutputStream(_FakeStream):
    """Pulls audio from the player's callback; keeps what was 'heard'."""

    instances: list["FakeOutputStream"] = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.played: list[np.ndarray] = []
        FakeOutputStream.instances.append(self)

    def _step(self) -> bool:
        out = np.zeros((BLOCK, self.channels), dtype=np.float32)
        self.callback(out, BLOCK, None, None)
        self.played.append(out[:, 0].copy())
        return True


class FakeInputStream(_FakeStream):
    """Pushes the samples of ``FakeInputStream.source`` into the recorder's callback, then stops."""

    source = np.zeros(0, dtype=np.float32)
    speed = 1.0
    instances: list["FakeInputStream"] = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.speed = type(self).speed
        self.position = 0
        self.finished = threading.Event()
        FakeInputStream.instances.append(self)

    def _step(self) -> bool:
        chunk = type(self).source[self.position : self.position + BLOCK]
        if chunk.size == 0:
            self.finished.set()
            return False
        self.position += chunk.size
        self.callback(chunk.reshape(-1, 1).astype(np.float32), chunk.size, None, None)
        return True


def device_list(*, with_input: bool = True, input_rate: float = 22_050.0):
    """What ``query_devices()`` returns: one output, and optionally one input."""
    devices = [
        {"index": 0, "name": "Fake speakers", "max_input_channels": 0, "max_output_channels": 2,
         "default_samplerate": 48_000.0},
    ]
    if with_input:
        devices.append({"index": 1, "name": "Fake microphone", "max_input_channels": 1, "max_output_channels": 0,
                        "default_samplerate": input_rate})
    return devices


def install(monkeypatch, *, with_input: bool = True, input_rate: float = 22_050.0):
    """Put the fake streams and device list in place of PortAudio's.

    Patches the real ``sounddevice`` module when it imports; where PortAudio is
    missing (importing it raises OSError), a module with the same few names is
    put in ``sys.modules`` instead.
    """
    try:
        import sounddevice as module
    except OSError:
        module = types.ModuleType("sounddevice")
        monkeypatch.setitem(__import__("sys").modules, "sounddevice", module)
    devices = device_list(with_input=with_input, input_rate=input_rate)
    default = types.SimpleNamespace(device=[1 if with_input else -1, 0])
    monkeypatch.setattr(module, "OutputStream", FakeOutputStream, raising=False)
    monkeypatch.setattr(module, "InputStream", FakeInputStream, raising=False)
    monkeypatch.setattr(module, "query_devices", lambda: devices, raising=False)
    monkeypatch.setattr(module, "default", default, raising=False)
    FakeOutputStream.instances.clear()
    FakeInputStream.instances.clear()
    return module
