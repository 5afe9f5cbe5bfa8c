"""A real app process for the kill test: ``python tests/gui/record_until_killed.py SOURCE.wav FED_FILE -- [gui args]``.

It runs the CLI's ``gui`` command unchanged, with PortAudio's streams
replaced by :mod:`tests.gui.fake_sounddevice` (the input plays SOURCE.wav
at the sound card's pace); once the model and the device are ready it
presses Record, prints ``RECORDING <path>``, and goes on recording until it
is killed. After each callback the number of samples the "sound card" has
delivered is stored in FED_FILE (one int64, memory-mapped), so the test
knows what the app had been given at the moment it stopped it.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from tests.gui import fake_sounddevice  # noqa: E402


def main() -> int:
    source_path, fed_path, _dash, *gui_args = sys.argv[1:]
    fed = np.memmap(fed_path, dtype=np.int64, mode="r+", shape=(1,))

    class CountingInput(fake_sounddevice.FakeInputStream):
        def _step(self) -> bool:
            more = super()._step()
            fed[0] = self.position
            return more

    CountingInput.source = soundfile.read(source_path, dtype="float32")[0]
    module = types.ModuleType("sounddevice")
    module.InputStream = CountingInput
    module.OutputStream = fake_sounddevice.FakeOutputStream
    module.query_devices = lambda: fake_sounddevice.device_list()
    module.default = types.SimpleNamespace(device=[1, 0])
    sys.modules["sounddevice"] = module

    from PySide6.QtCore import QTimer

    from urdu_genre_app.cli import main as cli_main
    from urdu_genre_app.gui.main_window import MainWindow

    original_start = MainWindow.start

    def start_then_record(window, files=None):
        original_start(window, files)
        timer = QTimer(window)

        def record_when_ready():
            bar = window.classify_widget.record_bar
            if window.state.classifier is None or bar.selected_device() is None:
                return
            timer.stop()
            window.record_action.trigger()
            print(f"RECORDING {bar.recording_path}", flush=True)

        timer.timeout.connect(record_when_ready)
        timer.start(50)

    MainWindow.start = start_then_record
    return cli_main(["gui", *gui_args])


if __name__ == "__main__":
    raise SystemExit(main())
