"""A screenshot of the Classify tab after a 440 Hz tone: the "not like any genre this model knows" verdict.

Run (a virtual display gives the real xcb look; offscreen works too):

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m tests.gui.make_unknown_screenshot [--out DIR]

Writes ``unknown.png`` with the bundled model (which carries the check): the
verdict names no genre, the closest one is on the line under it, and the
segment bars and the top-genre strip are grey.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("make_unknown_screenshot")
SIZE = (1280, 860)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNG")
    parser.add_argument("--seconds", type=float, default=40.0, help="length of the tone")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    work = Path(tempfile.mkdtemp(prefix="ug-unknown-shot-"))
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(work / name.lower())

    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from tests import audio_factory
    from urdu_genre_app.gui.app import create_application
    from urdu_genre_app.gui.main_window import MainWindow
    from urdu_genre_app.gui.settings import Settings
    from urdu_genre_app.resources import bundled_model_path

    sr = audio_factory.SR
    tone = (0.4 * np.sin(2 * np.pi * 440.0 * np.arange(int(args.seconds * sr)) / sr)).astype(np.float32)
    song = audio_factory.write_audio(work / "tone 440 Hz.flac", tone)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    app = create_application()  # noqa: F841  (kept alive for the whole run)

    def wait_until(condition, timeout_ms=90_000) -> None:
        loop = QEventLoop()
        timer = QTimer()

        def check() -> None:  # a slot must return None
            if condition():
                loop.quit()

        timer.timeout.connect(check)
        timer.start(20)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        timer.stop()
        if not condition():
            raise SystemExit("timed out waiting for the window")

    window = MainWindow(settings=Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                        model_path=str(bundled_model_path()))
    window.resize(*SIZE)
    window.show()
    window.start([str(song)])
    widget = window.classify_widget
    wait_until(lambda: widget.state.result is not None and widget.charts.segment_chart is not None)
    loop = QEventLoop()
    QTimer.singleShot(500, loop.quit)
    loop.exec()
    path = out / "unknown.png"
    window.grab().save(str(path), "PNG")
    log.info("wrote %s: %s", path, widget.state.result.verdict_text())
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
