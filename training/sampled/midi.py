"""General MIDI parts rendered by FluidSynth from a soundfont (one process call per song).

A part is a list of :class:`Note` and :class:`Bend` events in seconds; they are
written as a format-0 Standard MIDI File (fixed tempo, 960 ticks a second) and
rendered offline with ``fluidsynth -F``. FluidSynth's offline rendering is
deterministic, so the same events give the same samples.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np

from training.sampled.sources import SampleLibrary

#: MIDI ticks per second (tempo fixed at 120 BPM, 480 ticks a beat).
TICKS_PER_SECOND = 960

#: General MIDI programs (0-based) standing in for the genres' instruments.
GM = {
    "piano": 0, "electric_piano": 4, "dulcimer": 15, "organ": 16, "reed_organ": 20, "accordion": 21,
    "nylon_guitar": 24, "steel_guitar": 25, "clean_guitar": 27, "muted_guitar": 28, "overdriven_guitar": 29,
    "distortion_guitar": 30, "bass": 33, "picked_bass": 34, "synth_bass": 38, "synth_bass2": 39, "violin": 40,
    "strings": 48, "slow_strings": 49, "choir": 52, "flute": 73, "pan_flute": 75, "warm_pad": 89, "sitar": 104,
    "banjo": 105, "fiddle": 110, "shehnai": 111, "lead_saw": 81,
}


@dataclass(frozen=True)
class Note:
    """One note: start and length in s, MIDI pitch, velocity 1-127, channel 0-15 (9 = GM drums)."""

    start: float
    length: float
    pitch: int
    velocity: int
    channel: int


@dataclass(frozen=True)
class Bend:
    """A pitch-bend at ``time`` s: ``semitones`` within the default +-2 range."""

    time: float
    semitones: float
    channel: int


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def midi_file_bytes(programs: dict[int, int], notes: list[Note], bends: list[Bend] = (),
                    volumes: dict[int, int] | None = None) -> bytes:
    """A format-0 Standard MIDI File.

    Parameters
    ----------
    programs : dict
        channel -> GM program (0-based).
    notes, bends : lists of :class:`Note`, :class:`Bend`
        Events in seconds (any order).
    volumes : dict, optional
        channel -> CC7 volume 0-127.

    Returns
    -------
    bytes
    """
    events: list[tuple[int, int, bytes]] = []  # (tick, order, message); note-offs sort before note-ons
    for channel, program in programs.items():
        events.append((0, 0, bytes([0xC0 | channel, program & 0x7F])))
        events.append((0, 0, bytes([0xB0 | channel, 7, (volumes or {}).get(channel, 100) & 0x7F])))
    for n in notes:
        on = int(round(max(0.0, n.start) * TICKS_PER_SECOND))
        off = max(on + 1, int(round((max(0.0, n.start) + n.length) * TICKS_PER_SECOND)))
        pitch, velocity = int(np.clip(n.pitch, 0, 127)), int(np.clip(n.velocity, 1, 127))
        events.append((on, 2, bytes([0x90 | n.channel, pitch, velocity])))
        events.append((off, 1, bytes([0x80 | n.channel, pitch, 0])))
    for b in bends:
        value = int(np.clip(8192 + b.semitones / 2.0 * 8191, 0, 16383))
        events.append((int(round(max(0.0, b.time) * TICKS_PER_SECOND)), 1,
                       bytes([0xE0 | b.channel, value & 0x7F, value >> 7])))
    events.sort(key=lambda e: (e[0], e[1]))
    track = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20")  # tempo 500,000 us a beat (120 BPM)
    last = 0
    for tick, _, message in events:
        track += _varlen(tick - last) + message
        last = tick
    track += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + (480).to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + bytes(track)


def render_midi(programs: dict[int, int], notes: list[Note], *, n_samples: int, sample_rate: int,
                library: SampleLibrary, bends: list[Bend] = (), volumes: dict[int, int] | None = None,
                reverb: bool = False) -> np.ndarray:
    """Render events with FluidSynth and the library's soundfont.

    Parameters
    ----------
    programs, notes, bends, volumes
        See :func:`midi_file_bytes`.
    n_samples : int
        Length of the result; the render is cut or zero-padded to it.
    sample_rate : int
        Hz.
    library : SampleLibrary
        Where fluidsynth and the soundfont are.
    reverb : bool
        FluidSynth's own reverb and chorus (off: the mastering chain adds a room).

    Returns
    -------
    ndarray, shape (n_samples,), float32
        Mono; silence when there are no notes.

    Raises
    ------
    SamplePackageMissingError
        When fluidsynth or the soundfont is not installed.
    RuntimeError
        When fluidsynth fails (its message is included).
    """
    if not notes:
        return np.zeros(n_samples, np.float32)
    program = library.program(library.fluidsynth, "fluidsynth")
    soundfont = library.soundfont_path()
    with tempfile.TemporaryDirectory(prefix="urdu-sampled-") as tmp:
        mid, wav = os.path.join(tmp, "part.mid"), os.path.join(tmp, "part.wav")
        with open(mid, "wb") as f:
            f.write(midi_file_bytes(programs, notes, bends, volumes))
        flag = "1" if reverb else "0"
        cmd = [program, "-ni", "-q", "-g", "0.5", "-r", str(int(sample_rate)), "-R", flag, "-C", flag,
               "-o", "synth.cpu-cores=1", "-T", "wav", "-F", wav, soundfont, mid]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not os.path.isfile(wav):
            raise RuntimeError(f"fluidsynth failed on {mid}: {done.stderr.strip()[-400:]}")
        import soundfile as sf

        data, rate = sf.read(wav, dtype="float32", always_2d=True)
    y = data.mean(axis=1)
    if rate != sample_rate:  # fluidsynth honours -r; kept for safety
        import soxr

        y = soxr.resample(y, rate, sample_rate)
    out = np.zeros(n_samples, np.float32)
    out[: min(n_samples, y.size)] = y[:n_samples]
    return out
