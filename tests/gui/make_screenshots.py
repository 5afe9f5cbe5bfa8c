"""Screenshots of the real window in three states, for the docs and for looking at it as a user would.

Run (a virtual display gives the real xcb look; offscreen works too), at the two screen sizes the docs show:

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m tests.gui.make_screenshots [--model BUNDLE] [--out DIR]
    xvfb-run -a -s "-screen 0 1024x700x24" .venv/bin/python -m tests.gui.make_screenshots --suffix=-1024x700 --no-training

The docs' ``unknown.png`` takes ``--unknown-song`` ../shared/open-music/other/musopen_usaf_strings_bach_air.mp3
(a real recording of none of the genres; CC, see that folder's MANIFEST.tsv).

The window opens as the app opens it (its default size fitted to the screen's
available area), so the small screen shows what a user with one sees.

Writes ``classify.png`` (an analysed song), ``recording.png`` (a recording in
progress, fed by the lowest-layer fake input stream that plays a known clip
in real time), ``error.png`` (an undecodable file dropped on the window), with the bundled
model ``unknown.png`` (a 440 Hz tone, or ``--unknown-song``: not one of its genres) and
``training.png`` (the Training tab after a short run on a folder of the test
sounds, 3 s windows; needs TensorFlow), ``musicnn.png`` (the demo song again
with the bundled musicnn model: windows where it scored them, its log-mel
input) and ``help.png`` (the Help window).
Without ``--model`` the bundled model is used when it exists, else the small
test model is trained once (needs TensorFlow).
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

log = logging.getLogger("make_screenshots")


def demo_song(path: Path, bundled: bool) -> Path:
    """A song with distinct parts and a silent stretch (so grey segments show)."""
    from tests import audio_factory

    parts = []
    if bundled:
        try:
            from training.synth import generate_song

            for i, genre in enumerate(("Ghazal", "Rock")):
                parts.append(np.asarray(generate_song(genre, i, duration_seconds=45.0), dtype=np.float32))
        except Exception:  # the generator's API moved: fall back to the test sounds
            parts = []
    if not parts:
        seconds = 45.0 if bundled else 6.0
        parts = [audio_factory.make_sound(kind, seconds, seed=i) for i, kind in enumerate(("Tone", "Noise"))]
        parts.append(np.zeros(int(4 * seconds / 6 * audio_factory.SR), dtype=np.float32))
        parts += [audio_factory.make_sound(kind, seconds, seed=i + 5) for i, kind in enumerate(("Clicks", "Sweep"))]
    return audio_factory.write_audio(path, np.concatenate(parts))


def save(widget, path: Path) -> None:
    """Grab the window into a small PNG."""
    widget.grab().save(str(path), "PNG")
    log.info("wrote %s (%d KB)", path, path.stat().st_size // 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model bundle (default: the bundled one, else the test model)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--suffix", default="", help="added to each file name (e.g. -1024x700)")
    parser.add_argument("--no-training", action="store_true", help="skip the Training tab's shot (needs TensorFlow)")
    parser.add_argument("--unknown-song", help="a real recording of no genre the model knows for unknown.png "
                                               "(default: a 440 Hz tone)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    work = Path(tempfile.mkdtemp(prefix="ug-shots-"))
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(work / name.lower())

    from urdu_genre_app.resources import bundled_model_path

    model = args.model
    bundled = False
    if model is None and bundled_model_path().exists():
        model, bundled = str(bundled_model_path()), True
    if model is None:
        from tests import audio_factory

        log.info("no bundled model: training the small test model (Tone/Noise/Clicks/Sweep)")
        model = str(audio_factory.train_tiny_bundle(work / "tiny.ugm"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    song = demo_song(work / "demo-song.wav", bundled)
    broken = work / "damaged download.mp3"
    broken.write_bytes(b"<html>404 Not Found</html>" * 40)

    import pytest
    from PySide6.QtCore import QEventLoop, QMimeData, QPointF, QSettings, Qt, QTimer, QUrl
    from PySide6.QtGui import QDropEvent

    from tests.gui import fake_sounddevice
    from urdu_genre_app.gui.app import create_application
    from urdu_genre_app.gui.main_window import MainWindow
    from urdu_genre_app.gui.settings import Settings

    app = create_application()  # noqa: F841  (kept alive for the whole run)

    def wait_until(condition, timeout_ms=60_000) -> None:
        loop = QEventLoop()
        timer = QTimer()

        def check() -> None:  # a slot must return None: PySide mis-counts a returned bool
            if condition():
                loop.quit()

        timer.timeout.connect(check)
        timer.start(20)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        timer.stop()
        if not condition():
            raise SystemExit("timed out waiting for the window")

    def settle(ms=400) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    with pytest.MonkeyPatch.context() as patch:
        source = fake_sounddevice.FakeInputStream
        from tests import audio_factory

        clip = None
        if bundled:
            try:
                from training.synth import generate_song

                clip = np.asarray(generate_song("Qawwali", 7, duration_seconds=60.0), dtype=np.float32)
            except Exception:
                clip = None
        if clip is None:
            clip = np.concatenate([audio_factory.make_sound("Sweep", 5.0, seed=3), audio_factory.make_sound("Clicks", 40, seed=4)])
        source.source = clip
        fake_sounddevice.install(patch)
        window = MainWindow(settings=Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)),
                            model_path=model)
        window.show()
        window.start([str(song)])
        widget = window.classify_widget
        wait_until(lambda: widget.state.result is not None and widget.charts.segment_chart is not None)
        wait_until(lambda: widget.playback._player is not None and widget.playback.player.has_audio)
        widget.playback.seek(widget.playback.player.duration * 0.42)
        settle()
        save(window, out / f"classify{args.suffix}.png")

        wait_until(lambda: widget.record_bar.selected_device() is not None)
        widget.record_bar.start_recording()
        # The test model's windows are 3 s: show live segments. The real model's
        # are 30 s: show the provisional verdict of the first seconds.
        record_seconds = 7.0 if not bundled else 12.0
        wait_until(lambda: widget.record_bar.live is not None and widget.record_bar.live.seconds >= record_seconds
                   and not widget.record_bar.live_job_running, timeout_ms=int(record_seconds * 1000) + 30_000)
        settle(300)
        save(window, out / f"recording{args.suffix}.png")
        widget.record_bar.stop_recording()
        wait_until(lambda: widget.state.result is not None)

        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(broken))])
        window.dropEvent(QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                    Qt.KeyboardModifier.NoModifier))
        wait_until(lambda: widget.banner.kind == "error")
        settle()
        save(window, out / f"error{args.suffix}.png")

        if bundled:  # the bundled model carries the "not like any genre" check; the test model does not
            sr = audio_factory.SR
            if args.unknown_song:
                unknown = str(Path(args.unknown_song).resolve())
            else:
                tone = (0.4 * np.sin(2 * np.pi * 440.0 * np.arange(40 * sr) / sr)).astype(np.float32)
                unknown = str(audio_factory.write_audio(work / "tone 440 Hz.flac", tone))
            widget.open_file(unknown)
            wait_until(lambda: widget.state.result is not None and widget.state.result.path == unknown
                       and not widget.state.analysing, timeout_ms=180_000)
            settle(500)
            save(window, out / f"unknown{args.suffix}.png")

        from urdu_genre_app.resources import resource_path

        musicnn = resource_path("models", "musicnn_synthetic.ugm")
        if bundled and musicnn.exists():  # the model switch analyses the song shown again
            widget.open_file(str(song))
            wait_until(lambda: widget.state.result is not None and widget.state.result.path == str(song))
            window.load_model(str(musicnn), remember=False, chosen=True)
            wait_until(lambda: window.model_path == str(musicnn) and widget.state.result is not None
                       and widget.state.result.model_name != "" and not widget.state.analysing, timeout_ms=180_000)
            settle(500)
            save(window, out / f"musicnn{args.suffix}.png")
            window.load_model(model)
            wait_until(lambda: window.model_path == model and not widget.state.analysing, timeout_ms=180_000)

        window.show_help("How to")
        settle(300)
        save(window._help, out / f"help{args.suffix}.png")
        window._help.close()

        if args.no_training:
            window.close()
            return 0
        songs = audio_factory.write_labeled_folder(work / "my songs", seconds=6.0, seed=100)
        tab = window.training_widget
        window.tabs.setCurrentWidget(tab)
        tab.set_dataset(str(songs))
        tab.output_edit.setText(str(work / "models" / "my songs.ugm"))
        tab.epochs_spin.setValue(12)
        tab.window_seconds_spin.setValue(3.0)
        wait_until(lambda: tab.scan is not None)
        tab.start_training()
        wait_until(lambda: not tab.running, timeout_ms=600_000)
        settle()
        save(window, out / f"training{args.suffix}.png")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
