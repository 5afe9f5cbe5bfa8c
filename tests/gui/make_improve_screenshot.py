"""A screenshot of the Library's "Improve the model…" result, for the docs.

Run (a virtual display gives the real xcb look; offscreen works too):

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m tests.gui.make_improve_screenshot [--out DIR]

Makes 12 songs of 30 s from the independent generator (``benchmarks/independent_songs.py``,
written apart from ``training/synth``, so unlike what the bundled model heard): 3 per genre. Opens
them in the real window with the bundled model, confirms every row with its true genre, runs
Improve with the default tiny-set recipe and saves the result dialog as ``improve.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for improve.png")
    parser.add_argument("--per-genre", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from benchmarks.independent_songs import GENRES, generate
    from tests import audio_factory
    from tests.gui.library_shot_support import classified_library, save_shot, wait_until

    work = Path(tempfile.mkdtemp(prefix="improve_shot_"))
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    folder = work / "My Urdu songs"
    folder.mkdir(parents=True)
    truth = {}
    for genre in GENRES:
        for i in range(args.per_genre):
            path = folder / f"{genre.lower()} {i + 1}.wav"
            audio_factory.write_audio(path, generate(genre, 700 + i, 30.0), 22050)
            truth[str(path.resolve())] = genre
    app, window, library = classified_library(work, folder, seconds=900)

    def wait(condition, seconds=900):
        wait_until(app, condition, seconds)

    for row in range(library.proxy.rowCount()):
        library.table.selectRow(row)
        entry = library.selected_entries()[0]
        library.confirm_selected(truth[entry.path])
    dialog = library.improve_model()
    if dialog is None:
        raise SystemExit(library.message_label.text())
    results = []
    dialog.finished_run.connect(results.append)
    wait(lambda: results)
    save_shot(app, dialog, Path(args.out), "improve.png")
    print(dialog.result.describe() if dialog.result else dialog.error)
    library.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
