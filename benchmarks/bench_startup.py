"""How fast the app's window opens, and how fast a dropped song shows its first segment bar.

Run:  .venv/bin/python benchmarks/bench_startup.py [--repeats 5] [--platform offscreen]

Each figure is the median over fresh processes (one untimed warm-up first, so
the disk cache is warm for every variant):

1. *Empty window*: import PySide6, create a ``QApplication`` and an empty
   ``QMainWindow``, show it; the clock stops in the first event-loop
   iteration after ``show()`` (``QTimer.singleShot(0)``), i.e. when the window
   can take input. Measured from just before the process is spawned.
2. *Our window*: the same, with the app's ``MainWindow`` (model loading,
   matplotlib and the device scan start in the background at that moment).
   Target: at most 2x the empty window. Also printed: when the model and the
   charts are ready (the window is usable before that), and whether numpy or
   matplotlib had been imported by the time the window was interactive.
3. *First bar*: in a window whose model and charts are ready, a 5-minute MP3
   (44.1 kHz stereo) is dropped on the window; the clock stops when the first
   segment bar has been drawn. Target: under 1 s.

The app's bytecode is compiled first, as in an installed app. The model is
the bundled one when present, else an untrained BN-CNN of the
same shape (timing does not depend on the weights).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

EMPTY_WINDOW = r"""
import json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 860)
window.show()
def interactive():
    print(json.dumps({"interactive": time.time()}))
    app.quit()
QTimer.singleShot(0, interactive)
app.exec()
"""

OUR_WINDOW = r"""
import json, sys, time
settings_file, model = sys.argv[1:3]
from PySide6.QtCore import QSettings, QTimer
from urdu_genre_app.gui.app import create_application
from urdu_genre_app.gui.main_window import MainWindow
from urdu_genre_app.gui.settings import Settings
app = create_application()
window = MainWindow(settings=Settings(QSettings(settings_file, QSettings.Format.IniFormat)), model_path=model)
window.show()
window.start()
marks = {}
def interactive():
    marks["interactive"] = time.time()
    marks["numpy_loaded"] = "numpy" in sys.modules
    marks["matplotlib_loaded"] = "matplotlib" in sys.modules
QTimer.singleShot(0, interactive)
def poll():
    widget = window.classify_widget
    if "model" not in marks and widget.state.classifier is not None:
        marks["model"] = time.time()
    if "charts" not in marks and widget.charts.segment_chart is not None:
        marks["charts"] = time.time()
    if "model" in marks and "charts" in marks:
        print(json.dumps(marks))
        app.quit()
timer = QTimer()
timer.timeout.connect(poll)
timer.start(5)
app.exec()
"""

FIRST_BAR = r"""
import json, sys, time
settings_file, model, song = sys.argv[1:4]
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from urdu_genre_app.gui.app import create_application
from urdu_genre_app.gui.main_window import MainWindow
from urdu_genre_app.gui.settings import Settings
app = create_application()
window = MainWindow(settings=Settings(QSettings(settings_file, QSettings.Format.IniFormat)), model_path=model)
window.show()
window.start()
widget = window.classify_widget
marks = {}
def on_bars(count):
    if count >= 1 and "first_bar" not in marks:
        marks["first_bar"] = time.perf_counter() - marks["drop"]
        print(json.dumps(marks))
        widget.stop_analysis()
        app.quit()
def drop():
    widget.charts.segment_chart.bars_drawn.connect(on_bars)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(song)])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    marks["drop"] = time.perf_counter()
    window.dropEvent(event)
def wait_ready():
    if widget.state.classifier is not None and widget.charts.segment_chart is not None:
        timer.stop()
        QTimer.singleShot(300, drop)  # let the background start-up (device scan) settle
timer = QTimer()
timer.timeout.connect(wait_ready)
timer.start(10)
QTimer.singleShot(60_000, app.quit)
app.exec()
"""


def run_child(script: str, *args: str, env: dict[str, str]) -> tuple[float, dict]:
    """Spawn a fresh interpreter; return the spawn time and the JSON it printed last."""
    spawned = time.time()
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"benchmark child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return spawned, json.loads(lines[-1])


def median_text(values: list[float]) -> str:
    """``median s (runs: a, b, c)``."""
    return f"{statistics.median(values):6.3f} s  (runs: {', '.join(f'{v:.3f}' for v in values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="timed processes per figure (median reported)")
    parser.add_argument("--bar-repeats", type=int, default=3, help="timed processes for the first-bar figure")
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                        help="Qt platform plugin (offscreen, or xcb under Xvfb)")
    args = parser.parse_args()

    from bench_classify import WORK, encode_mp3, model_bundle, music_like

    WORK.mkdir(parents=True, exist_ok=True)
    # An installed app has its bytecode compiled (pip and PyInstaller do it);
    # a checkout run with PYTHONDONTWRITEBYTECODE would compile on every start.
    import compileall

    compileall.compile_dir(str(ROOT / "urdu_genre_app"), quiet=1)
    bundle = str(model_bundle())
    song = WORK / "five_minutes_44k_stereo.mp3"
    if not song.exists():
        encode_mp3(song, [music_like(300.0)])
    env = dict(os.environ, QT_QPA_PLATFORM=args.platform, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env.update(XDG_DATA_HOME=str(scratch / "data"), XDG_STATE_HOME=str(scratch / "state"),
               XDG_CACHE_HOME=str(scratch / "cache"))
    settings_file = str(scratch / "settings.ini")

    print(f"machine: {os.cpu_count()} CPUs; Qt platform: {args.platform}; model: {Path(bundle).name}")
    run_child(EMPTY_WINDOW, env=env), run_child(OUR_WINDOW, settings_file, bundle, env=env)  # warm-up
    empty, ours, model_ready, charts_ready, eager = [], [], [], [], set()
    for _ in range(args.repeats):
        spawned, marks = run_child(EMPTY_WINDOW, env=env)
        empty.append(marks["interactive"] - spawned)
        spawned, marks = run_child(OUR_WINDOW, settings_file, bundle, env=env)
        ours.append(marks["interactive"] - spawned)
        model_ready.append(marks["model"] - spawned)
        charts_ready.append(marks["charts"] - spawned)
        eager.update(name for name in ("numpy", "matplotlib") if marks[f"{name}_loaded"])
    ratio = statistics.median(ours) / statistics.median(empty)
    print(f"empty QMainWindow shown and interactive: {median_text(empty)}")
    print(f"our MainWindow shown and interactive:    {median_text(ours)}")
    print(f"ratio: {ratio:.2f}x  (target <= 2x: {'met' if ratio <= 2 else 'NOT met'})")
    print(f"  then, in the background: model ready {median_text(model_ready)}; charts ready {median_text(charts_ready)}")
    print(f"  imported before the window was interactive: {', '.join(sorted(eager)) or 'neither numpy nor matplotlib'}")

    bars = []
    for _ in range(args.bar_repeats):
        _spawned, marks = run_child(FIRST_BAR, settings_file, bundle, str(song), env=env)
        bars.append(marks["first_bar"])
    verdict = "met" if statistics.median(bars) < 1.0 else "NOT met"
    print(f"drop a 5:00 MP3 -> first segment bar drawn: {median_text(bars)}  (target < 1 s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
