"""A screenshot of the Library tab: a classified folder with corrections and tags, for the docs.

Run (a virtual display gives the real xcb look; offscreen works too), at the two screen sizes the docs show:

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m tests.gui.make_library_screenshot \
        [--folder DIR] [--out DIR]
    xvfb-run -a -s "-screen 0 1024x700x24" .venv/bin/python -m tests.gui.make_library_screenshot \
        [--folder DIR] --suffix=-1024x700

With ``--folder``, the audio files below DIR (real recordings: the docs use
ten from ``../shared/open-music``, rock, hip-hop beats and other music) are
copied into a temporary folder with a FIFO named like a song (which the
Library skips and lists); without it, a folder of 12 songs in mixed formats
(40 s passages of the synthetic generator, or the test sounds when it is not
installed) is made. The copy is opened in the real window (its default size
fitted to the screen) with the bundled model; two rows are confirmed, their
genre tags written, another file is tagged with a disagreeing genre (so it
shows as needing review) and ``library<suffix>.png`` is written.

The docs' folder (files of ``../shared/open-music``, see its MANIFEST.tsv for
licences and attribution): ``Rock/`` supertuxkart_bay.ogg,
ufoai_destructavator_david01.ogg, supertuxkart_kart_grand_prix.ogg;
``Hip-hop beats/`` boomboxhead_DOPEBEAT2.mp3, boomboxhead_Ripper.mp3,
boomboxhead_pipes.mp3; ``Other music/`` musopen_usaf_strings_bach_air.mp3,
supertuxkart_celtic.ogg, 0ad_taiko_1.ogg, digabi_folkboy_music_5.mp3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

FORMATS = [".mp3", ".flac", ".ogg", ".m4a", ".opus", ".wav"]
GENRES = ["Ghazal", "Qawwali", "Hip-hop", "Rock"]


def make_folder(root: Path) -> list[Path]:
    """12 songs, three per genre, in mixed formats and two sub-folders."""
    from tests import audio_factory

    try:
        from training.synth import generate_song
    except ImportError:  # pragma: no cover
        generate_song = None
    paths = []
    for i in range(12):
        genre = GENRES[i % 4]
        folder = root / ("Album A" if i < 6 else "Album B")
        folder.mkdir(parents=True, exist_ok=True)
        if generate_song is not None:
            signal = generate_song(genre, 50 + i, duration_seconds=40.0)
        else:
            signal = audio_factory.make_sound(["Tone", "Noise", "Clicks", "Sweep"][i % 4], 40.0, seed=i)
        name = f"{i + 1:02d} {genre.lower()} song{FORMATS[i % len(FORMATS)]}"
        paths.append(audio_factory.write_audio(folder / name, signal))
    return paths


def copy_folder(source: Path, root: Path) -> list[Path]:
    """The audio files below ``source``, copied (tags are written into the copies), and a FIFO named like a song."""
    from urdu_genre_app.core.audio_io import is_audio_path

    paths = []
    for path in sorted(p for p in source.rglob("*") if p.is_file() and is_audio_path(p)):
        target = root / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        paths.append(target)
    os.mkfifo(root / "radio stream.mp3")  # not a file: skipped, and listed under the table
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for library.png")
    parser.add_argument("--folder", help="copy the audio files below this folder instead of making songs")
    parser.add_argument("--suffix", default="", help="added to the file name (e.g. -1024x700)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")

    from tests.gui.library_shot_support import classified_library, save_shot, wait_until
    from urdu_genre_app.gui.library_model import ENTRY_ROLE
    from urdu_genre_app.library.tags import set_genres

    work = Path(tempfile.mkdtemp(prefix="library_shot_"))
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    folder = work / ("My music" if args.folder else "My Urdu songs")
    songs = copy_folder(Path(args.folder), folder) if args.folder else make_folder(folder)
    set_genres(songs[6], ["Ghazal"])  # a tag that may disagree with the verdict: "needs review"
    app, window, library = classified_library(work, folder, seconds=600, size=None)

    def wait(condition, seconds=300):
        wait_until(app, condition, seconds)

    def entry(row):
        return library.proxy.index(row, 0).data(ENTRY_ROLE)

    library.table.selectRow(0)
    library.confirm_selected(entry(0).verdict or "Ghazal")  # the user agrees with the model
    library.table.selectRow(4)
    library.confirm_selected(next(g for g in library.labels if g != entry(4).verdict))  # and corrects it here
    tagged = []
    library.tags_finished.connect(tagged.append)
    library.write_tags([entry(0).path, entry(4).path])
    wait(lambda: tagged)
    library.table.clearSelection()
    library.table.selectRow(2)
    save_shot(app, window, Path(args.out), f"library{args.suffix}.png")
    library.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
