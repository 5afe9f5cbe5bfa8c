"""Shared pieces of the sampled arrangers: tempo maps, scales, melodies, vocal lines, mixing."""

from __future__ import annotations

import numpy as np

from training.sampled.kits import CLAPS, Sampler, resolve
from training.sampled.midi import Note
from training.sampled.voice import WORDS, Singer, sing_word

#: Scales (semitones above the tonic): Yaman, Bhairavi, Kafi, Khamaj, Bhupali, Pilu-like, Todi-like.
RAGAS = ((0, 2, 4, 6, 7, 9, 11), (0, 1, 3, 5, 7, 8, 10), (0, 2, 3, 5, 7, 9, 10), (0, 2, 4, 5, 7, 9, 10),
         (0, 2, 4, 7, 9), (0, 2, 3, 5, 7, 8, 11), (0, 1, 3, 6, 7, 8, 11))
#: Western scales for Rock and Hip-hop (natural minor, dorian, major, minor pentatonic).
WESTERN = ((0, 2, 3, 5, 7, 8, 10), (0, 2, 3, 5, 7, 9, 10), (0, 2, 4, 5, 7, 9, 11), (0, 3, 5, 7, 10))


def beat_times(start: float, bpm_start: float, bpm_end: float, n_beats: int) -> np.ndarray:
    """Times (s) of ``n_beats + 1`` beats from ``start`` with tempo ramping linearly per beat.

    Returns
    -------
    ndarray, shape (n_beats + 1,)
    """
    bpm = np.linspace(bpm_start, bpm_end, max(1, n_beats))
    return start + np.concatenate([[0.0], np.cumsum(60.0 / bpm)])


def scale_pitches(tonic: int, scale: tuple[int, ...], low: int, high: int) -> np.ndarray:
    """Every MIDI pitch of ``scale`` on ``tonic`` between ``low`` and ``high`` (inclusive)."""
    out = [p for p in range(low, high + 1) if (p - tonic) % 12 in scale]
    return np.asarray(out, int)


def walk(rng: np.random.Generator, pitches: np.ndarray, n: int, start: int | None = None,
         leap: float = 0.15) -> list[int]:
    """A melodic random walk of ``n`` notes over ``pitches`` (mostly steps, some leaps)."""
    i = int(rng.integers(len(pitches) // 3, 2 * len(pitches) // 3)) if start is None else start
    out = []
    for _ in range(n):
        out.append(int(pitches[i]))
        step = int(rng.choice([-1, 1])) * (int(rng.integers(2, 4)) if rng.random() < leap else 1)
        if rng.random() < 0.2:
            step = 0
        i = int(np.clip(i + step, 0, len(pitches) - 1))
    return out


def rhythm(rng: np.random.Generator, total_beats: float, choices: tuple[float, ...]) -> list[float]:
    """Note lengths (beats) filling ``total_beats``, drawn from ``choices``."""
    out, left = [], float(total_beats)
    while left > 1e-6:
        d = min(left, float(rng.choice(choices)))
        out.append(d)
        left -= d
    return out


class VocalTrack:
    """Sung phrases placed into one buffer (one singer)."""

    def __init__(self, n: int, sample_rate: int, singer: Singer, library, rng: np.random.Generator,
                 vibrato_cents: float) -> None:
        self.buf = np.zeros(n, np.float32)
        self.sample_rate, self.singer, self.library, self.rng = sample_rate, singer, library, rng
        self.vibrato_cents = vibrato_cents

    def phrase(self, times: list[float], lengths: list[float], pitches: list[int], words: list[str],
               gain: float = 1.0) -> None:
        """Sing ``words[i]`` at ``pitches[i]`` from ``times[i]`` for ``lengths[i]`` s."""
        for t, d, p, w in zip(times, lengths, pitches, words):
            if t >= self.buf.size / self.sample_rate:
                break
            y = sing_word(w, self.singer, midi_pitch=p, length_s=max(0.12, d * 0.95), sample_rate=self.sample_rate,
                          library=self.library, rng=self.rng, vibrato_cents=self.vibrato_cents)
            i = int(round(t * self.sample_rate))
            j = min(self.buf.size, i + y.size)
            if j > i:
                self.buf[i:j] += gain * y[: j - i]


def lyric(rng: np.random.Generator, n: int, vocabulary: tuple[str, ...] = WORDS) -> list[str]:
    """``n`` words drawn from ``vocabulary``."""
    return [vocabulary[int(rng.integers(len(vocabulary)))] for _ in range(n)]


def clap_ensemble(sampler: Sampler, buf: np.ndarray, times: np.ndarray, clappers: int, spread_s: float,
                  gain: float) -> None:
    """``clappers`` people clapping at ``times`` with timing spread, each with their own sound and level."""
    rng = sampler.rng
    pools = [resolve(sampler.library, entry) for entry in CLAPS]
    sounds = [sampler.pick(pools[int(rng.integers(len(pools)))]) for _ in range(clappers)]
    rates = rng.uniform(0.85, 1.2, clappers)
    levels = rng.uniform(0.4, 1.0, clappers)
    for t in times:
        for k in range(clappers):
            sampler.place(buf, sounds[k], float(t + rng.normal(0, spread_s)), gain * levels[k] / np.sqrt(clappers),
                          float(rates[k]))


def tabla_theka(sampler: Sampler, buf: np.ndarray, times: np.ndarray, theka: tuple[str, ...], gain: float,
                ornament: float = 0.2) -> None:
    """Play ``theka`` bols on ``times`` (one bol a beat, cycled), with random in-between ornaments."""
    rng = sampler.rng
    for k in range(len(times) - 1):
        bol = theka[k % len(theka)]
        accent = 1.0 if k % len(theka) == 0 else float(rng.uniform(0.55, 0.85))
        sampler.place(buf, sampler.tabla(bol), float(times[k] + rng.normal(0, 0.004)), gain * accent)
        if rng.random() < ornament:
            half = 0.5 * (times[k] + times[k + 1])
            sampler.place(buf, sampler.tabla(str(rng.choice(["te", "ke", "ti", "na"]))), float(half), gain * 0.5)


def normalise(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to RMS 0.1 over its non-silent part (silence stays silence)."""
    loud = np.abs(x) > 1e-4
    if not loud.any():
        return x
    rms = float(np.sqrt(np.mean(x[loud] ** 2)))
    return (x * (0.1 / max(rms, 1e-9))).astype(np.float32)


def mix(tracks: dict[str, np.ndarray], levels_db: dict[str, float]) -> np.ndarray:
    """Sum normalised tracks at their levels (dB)."""
    out = None
    for name, x in tracks.items():
        y = normalise(x) * np.float32(10 ** (levels_db.get(name, 0.0) / 20.0))
        out = y if out is None else out + y
    return out


def notes_for(channel: int, times: list[float], lengths: list[float], pitches: list[int], velocity: tuple[int, int],
              rng: np.random.Generator, legato: float = 0.95) -> list[Note]:
    """MIDI notes for one melodic line."""
    return [Note(float(t), float(d * legato), int(p), int(rng.integers(*velocity)), channel)
            for t, d, p in zip(times, lengths, pitches)]
