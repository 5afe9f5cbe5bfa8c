"""A synthetic Urdu voice from espeak-ng: words sung to a melody, and rapped lines.

espeak-ng speaks Urdu (voice ``ur``); singing is made from its speech. Each
word is spoken once per singer, its median pitch measured (autocorrelation),
then for every note it is pitch-shifted to the note by resampling, its vowel
held to the note's length by overlap-add stretching, and given vibrato by a
sinusoidally modulated delay. Rap is spoken lines, each stretched to fill
its bars. espeak-ng is deterministic, so the same text and settings give the
same audio.
"""

from __future__ import annotations

import functools
import io
import subprocess
from dataclasses import dataclass

import numpy as np

from training.sampled.sources import SampleLibrary

#: Urdu words the lyrics are drawn from (love, night, moon, heart, cupbearer, ...).
WORDS = ("دل", "عشق", "یار", "ساقی", "محبت", "رات", "چاند", "آنکھیں", "غم", "شام", "جان", "دیوانہ", "مولا",
         "علی", "نور", "کرم", "سجن", "پیار", "زندگی", "خواب", "ساون", "بہار", "جدائی", "آجا", "ہوا", "صنم")
#: Words of rap lines (city, street, time, beat, mic, name, ...).
RAP_WORDS = ("شہر", "گلی", "وقت", "بیٹ", "مائک", "نام", "کام", "راستہ", "سچ", "دنیا", "پیسہ", "لوگ", "بات",
             "آواز", "دن", "رات", "میرا", "تیرا", "ہے", "نہیں", "چل", "بول", "دیکھ", "سن")
#: espeak-ng voice variants by singer sex.
VARIANTS = {"m": ("m1", "m2", "m3", "m4", "m5", "m7"), "f": ("f1", "f2", "f3", "f4", "f5")}


@dataclass(frozen=True)
class Singer:
    """An espeak-ng voice: variant (``m3``), base pitch 0-99, speed in words a minute."""

    variant: str
    pitch: int
    speed: int


def random_singer(rng: np.random.Generator, sex: str | None = None) -> Singer:
    """A singer drawn from the variants of ``sex`` (``m``/``f``; None draws one)."""
    sex = sex or ("m" if rng.random() < 0.6 else "f")
    names = VARIANTS[sex]
    return Singer(names[int(rng.integers(len(names)))], int(rng.integers(25, 75)), int(rng.integers(120, 170)))


@functools.lru_cache(maxsize=2048)
def _speak(espeak: str, text: str, variant: str, pitch: int, speed: int, sample_rate: int) -> np.ndarray:
    import soundfile as sf

    cmd = [espeak, "-v", f"ur+{variant}", "-p", str(pitch), "-s", str(speed), "--stdout", text]
    done = subprocess.run(cmd, capture_output=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"espeak-ng failed on {text!r}: {done.stderr.decode(errors='replace')[-300:]}")
    y, rate = sf.read(io.BytesIO(done.stdout), dtype="float32")
    if y.ndim > 1:
        y = y.mean(axis=1)
    if rate != sample_rate:
        import soxr

        y = soxr.resample(y, rate, sample_rate)
    y = _trim(np.asarray(y, np.float32))
    y.setflags(write=False)
    return y


def _trim(y: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    loud = np.flatnonzero(np.abs(y) > threshold * (np.max(np.abs(y)) + 1e-9))
    return y[loud[0]: loud[-1] + 1] if loud.size else y


def speak(text: str, singer: Singer, *, sample_rate: int, library: SampleLibrary) -> np.ndarray:
    """Spoken ``text`` (silence trimmed), mono float32 at ``sample_rate`` (cached, read-only)."""
    espeak = library.program(library.espeak, "espeak-ng")
    return _speak(espeak, text, singer.variant, singer.pitch, singer.speed, int(sample_rate))


def median_f0(y: np.ndarray, sample_rate: int, fmin: float = 70.0, fmax: float = 500.0) -> float:
    """Median pitch (Hz) of the voiced frames of ``y`` by normalised autocorrelation (150 Hz if none)."""
    frame, hop = 1024, 512
    lags = np.arange(int(sample_rate / fmax), int(sample_rate / fmin) + 1)
    found = []
    for start in range(0, y.size - frame, hop):
        x = y[start: start + frame].astype(np.float64)
        x = x - x.mean()
        energy = float(np.dot(x, x))
        if energy < 1e-6:
            continue
        spectrum = np.fft.rfft(x, 2 * frame)
        ac = np.fft.irfft(spectrum * np.conj(spectrum))[: frame] / energy
        best = lags[int(np.argmax(ac[lags]))]
        if ac[best] > 0.5:
            found.append(sample_rate / best)
    return float(np.median(found)) if found else 150.0


def ola_stretch(y: np.ndarray, rate: float, frame: int = 1024, hop_out: int = 256) -> np.ndarray:
    """Overlap-add time stretch: ``rate`` > 1 shortens, < 1 lengthens; pitch kept (float32)."""
    if y.size < frame:
        y = np.pad(y, (0, frame - y.size))
    window = np.hanning(frame).astype(np.float32)
    hop_in = hop_out * rate
    n_frames = max(1, int((y.size - frame) / hop_in) + 1)
    out = np.zeros((n_frames - 1) * hop_out + frame, np.float32)
    norm = np.zeros_like(out)
    for k in range(n_frames):
        a = int(round(k * hop_in))
        grain = y[a: a + frame]
        if grain.size < frame:
            grain = np.pad(grain, (0, frame - grain.size))
        out[k * hop_out: k * hop_out + frame] += window * grain
        norm[k * hop_out: k * hop_out + frame] += window
    return out / np.maximum(norm, 1e-3)


def _vibrato(y: np.ndarray, sample_rate: int, rate_hz: float, depth_cents: float, phase: float) -> np.ndarray:
    """Frequency vibrato by a modulated delay (depth in cents at ``rate_hz``)."""
    t = np.arange(y.size) / sample_rate
    ratio = 2.0 ** (depth_cents / 1200.0) - 1.0
    delay = ratio / (2 * np.pi * rate_hz) * np.sin(2 * np.pi * rate_hz * t + phase)  # seconds
    return np.interp(t + delay, t, y).astype(np.float32)


@functools.lru_cache(maxsize=2048)
def _f0_of(word: str, singer: Singer, sample_rate: int, library: SampleLibrary) -> float:
    return median_f0(speak(word, singer, sample_rate=sample_rate, library=library), sample_rate)


def sing_word(word: str, singer: Singer, *, midi_pitch: float, length_s: float, sample_rate: int,
              library: SampleLibrary, rng: np.random.Generator, vibrato_cents: float = 30.0) -> np.ndarray:
    """One word sung on one note.

    Parameters
    ----------
    word : str
        Urdu text.
    singer : Singer
    midi_pitch : float
        Target pitch (60 = middle C).
    length_s : float
        Note length in s; the word's end (its vowel) is held to fill it.
    sample_rate : int
    library : SampleLibrary
    rng : numpy.random.Generator
        Vibrato rate and phase.
    vibrato_cents : float
        Vibrato depth.

    Returns
    -------
    ndarray, shape (round(length_s * sample_rate),), float32
    """
    import soxr

    spoken = speak(word, singer, sample_rate=sample_rate, library=library)
    f0 = _f0_of(word, singer, sample_rate, library)
    target_hz = 440.0 * 2.0 ** ((midi_pitch - 69) / 12.0)
    steps = float(np.clip(12.0 * np.log2(target_hz / max(f0, 1.0)), -9, 9))
    n = max(256, int(round(length_s * sample_rate)))
    # Pitch by resampling (a tape sped up: formants move too, within +-9 semitones), then length by OLA.
    ratio = 2.0 ** (steps / 12.0)
    y = np.asarray(soxr.resample(np.asarray(spoken), sample_rate * ratio, sample_rate), np.float32) \
        if abs(steps) > 0.05 else np.array(spoken)
    if y.size < n:  # hold the last 60 % (the vowel) to fill the note
        head = int(0.4 * y.size)
        tail = y[head:]
        tail = ola_stretch(tail, max(0.05, tail.size / max(1, n - head)))
        y = np.concatenate([y[:head], tail])
    y = np.resize(y, n) if y.size < n else y[:n]
    y = _vibrato(y, sample_rate, float(rng.uniform(4.5, 6.5)), vibrato_cents, float(rng.uniform(0, 2 * np.pi)))
    fade = min(n // 4, int(0.04 * sample_rate))
    if fade > 0:
        y[:fade] *= np.linspace(0, 1, fade)
        y[-fade:] *= np.linspace(1, 0, fade)
    return y


def rap_line(words: list[str], singer: Singer, *, length_s: float, sample_rate: int,
             library: SampleLibrary) -> np.ndarray:
    """A spoken line stretched to ``length_s`` (rhythmic speech over the beat), float32."""
    spoken = np.array(speak(" ".join(words), singer, sample_rate=sample_rate, library=library))
    n = max(256, int(round(length_s * sample_rate)))
    rate = float(np.clip(spoken.size / n, 0.6, 1.8))
    y = ola_stretch(spoken, rate) if abs(rate - 1) > 0.02 else spoken
    out = np.zeros(n, np.float32)
    out[: min(n, y.size)] = y[:n]
    return out
