"""The small catalogue the archive-scale tests classify, how they read its Parquet back, and a real Ctrl+C."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests import audio_factory

ROOT = Path(__file__).resolve().parents[1]
#: How long a CLI run under :func:`ctrl_c_after_first_song` may take to show its first song, or to stop.
CLI_WAIT_SECONDS = 300


def write_catalogue(root: Path, names: list[str]) -> Path:
    """One 35 s song (two windows) per name, in the format its suffix says, plus a corrupt MP3; returns ``root``."""
    for i, (kind, name) in enumerate(zip(audio_factory.TINY_LABELS, names)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        audio_factory.write_audio(root / name, audio_factory.make_sound(kind, 35.0, seed=i))
    (root / "corrupt.mp3").write_bytes(b"ID3 this is no mp3" * 50)
    return root


def write_long_catalogue(root: Path, count: int) -> Path:
    """``count`` songs of 2 minutes (hard links to two WAVs under their own names), so a run lasts a while."""
    root.mkdir(parents=True, exist_ok=True)
    originals = [audio_factory.write_audio(root / f".original{i}.wav",
                                           audio_factory.make_sound(kind, 120.0, seed=i))
                 for i, kind in enumerate(audio_factory.TINY_LABELS[:2])]
    for i in range(count):
        os.link(originals[i % 2], root / f"song{i:02d}.wav")
    return root


def read_rows(out) -> list[dict]:
    """Every row of the Parquet dataset ``out``, sorted by path (needs the [scale] extra's pyarrow)."""
    import pyarrow.dataset as pads

    return sorted(pads.dataset(str(out), format="parquet").to_table().to_pylist(), key=lambda row: row["path"])


def ctrl_c_after_first_song(arguments: list[str]) -> tuple[int, str]:
    """Run ``urdu-genre ARGUMENTS`` on a terminal and press Ctrl+C once its progress bar shows a song done.

    The command runs in its own session with a pseudo-terminal as stderr, so it
    draws its bar; Ctrl+C is SIGINT to the whole process group, as a terminal
    sends it (the pool's workers get it too).

    Returns
    -------
    (int, str)
        The exit status and everything written to the terminal.
    """
    leader, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "urdu_genre_app", *arguments], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=terminal, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(terminal)
    seen, pressed = b"", False
    deadline = time.monotonic() + CLI_WAIT_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the command closed the terminal: it has exited
                    break
                if not chunk:
                    break
                seen += chunk
            if not pressed and re.search(rb"\] [1-9]\d*/\d+ songs", seen):
                os.killpg(process.pid, signal.SIGINT)
                pressed = True
            if process.poll() is not None and not ready:
                break
        status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(leader)
    assert pressed, f"no song was shown done:\n{seen.decode(errors='replace')}"
    return status, seen.decode(errors="replace")
