"""An independent song generator, to test a model on music it was not built from.

Written without looking at the project's own generator (``training/synth``)
so that a model trained on that corpus can be checked on songs made by other
means. Its choices: FM and wavetable instruments (harmonium reeds, a buzzing
tanpura, an FM sarangi with glides, FM santur and electric piano, distorted
wavetable guitars), percussion made from tuned partials and shaped noise
(tabla bols, dholak, clapping ensembles, drum kit, 808), a source-filter voice
(a band-limited glottal wave through per-syllable formant resonators, with
consonant noise), song forms built on tempo maps (Qawwali accelerates), and
mastering with a bus compressor, saturation, a synthetic room and a noise floor.

Run ``python benchmarks/independent_songs.py OUT_DIR --per-genre 8 --seed 1
--seconds 90-150 --formats mp3,wav``: writes ``OUT_DIR/<Genre>/<n>.<ext>``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project's encoder, as a script too
SR = 22_050
GENRES = ("Ghazal", "Qawwali", "Hip-hop", "Rock")
#: Yaman, Bhairavi, Khamaj, Kafi, Pahadi (semitones above Sa).
RAGAS = ([0, 2, 4, 6, 7, 9, 11], [0, 1, 3, 5, 7, 8, 10], [0, 2, 4, 5, 7, 9, 10], [0, 2, 3, 5, 7, 9, 10],
         [0, 2, 4, 7, 9])
VOWELS = {"a": (730, 1090, 2440), "e": (530, 1840, 2480), "i": (270, 2290, 3010), "o": (570, 840, 2410),
          "u": (300, 870, 2240), "aa": (800, 1250, 2600)}
CONSONANTS = {"s": (4200, 8500), "sh": (2000, 4200), "h": (400, 3000), "t": (2500, 7000), "k": (1200, 3200), "": None}
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- building blocks
def _add(buf, t, sig, gain=1.0):
    i = int(round(t * SR))
    a, j = max(i, 0), min(buf.size, i + sig.size)
    if j > a:
        buf[a:j] += gain * sig[a - i:j - i]


def _filt(x, kind, f, order=2):
    f = np.clip(f, 20, 0.45 * SR)
    return sps.sosfilt(sps.butter(order, f, btype=kind, fs=SR, output="sos"), x)


def _table(amps, phases=None):
    k = np.arange(1, len(amps) + 1)[:, None]
    ph = np.linspace(0, 2 * np.pi, 2048, endpoint=False)[None, :]
    off = 0 if phases is None else np.asarray(phases)[:, None]
    tab = (np.asarray(amps, float)[:, None] * np.sin(k * ph + off)).sum(0)
    tab /= np.abs(tab).max()
    return np.append(tab, tab[0])


def _osc(tab, freq, n):
    """Wavetable oscillator with a phase accumulator (freq: scalar or per-sample Hz)."""
    ph = np.cumsum(np.broadcast_to(np.asarray(freq, float), (n,))) / SR
    pos = (ph - np.floor(ph)) * (tab.size - 1)
    i = pos.astype(np.int64)
    return tab[i] + (pos - i) * (tab[i + 1] - tab[i])


def _fm(freq, ratio, index, n):
    ph = 2 * np.pi * np.cumsum(np.broadcast_to(np.asarray(freq, float), (n,))) / SR
    return np.sin(ph + index * np.sin(ratio * ph))


def _ar(n, a=0.01, r=0.05):
    e = np.ones(n)
    na, nr = max(1, min(n // 2, int(a * SR))), max(1, min(n // 2, int(r * SR)))
    e[:na] = np.linspace(0, 1, na)
    e[n - nr:] *= np.linspace(1, 0, nr)
    return e


def _beats(t0, t1, bpm0, bpm1, curve=1.0):
    """Beat times from t0 past t1, tempo moving from bpm0 to bpm1 (frac**curve)."""
    out = [t0]
    while out[-1] < t1 + 2.0:
        frac = min(1.0, (out[-1] - t0) / max(t1 - t0, 1e-6)) ** curve
        out.append(out[-1] + 60.0 / (bpm0 + (bpm1 - bpm0) * frac))
    return np.array(out)


def _at(beats, x):
    """Time of a (fractional) beat position."""
    return np.interp(x, np.arange(beats.size), beats)


def _walk(rng, n, lo, hi, start=0):
    d = [start]
    for _ in range(n - 1):
        step = rng.choice([-2, -1, 0, 1, 2]) if rng.random() < 0.85 else rng.integers(-4, 5)
        d.append(int(np.clip(d[-1] + step, lo, hi)))
    return d


def _hz(base, scale, deg):
    o, i = divmod(int(deg), len(scale))
    return base * 2 ** ((scale[i] + 12 * o) / 12)


# ---------------------------------------------------------------- voice (source-filter)
_GLOTTAL = _table([k ** -1.35 for k in range(1, 21)])


def _voice(rng, notes, *, speech=False, fmt=1.0, breath=0.06, vib=0.35, grit=0.0):
    """Sing or rap ``notes`` = [(start_s, dur_s, hz, new_syllable)]; returns (t0, signal)."""
    t0 = notes[0][0]
    n = int((max(s + d for s, d, _, _ in notes) - t0 + 0.2) * SR)
    starts = np.array([int((s - t0) * SR) for s, _, _, _ in notes])
    idx = np.arange(n)
    k = np.clip(np.searchsorted(starts, idx, side="right") - 1, 0, len(notes) - 1)
    logf = np.log(np.array([h for _, _, h, _ in notes]))[k]
    age = (idx - starts[k]) / SR
    if speech:
        logf -= np.minimum(age, 0.25) * 0.5  # falling, speech-like syllables
    a = np.exp(-1 / ((0.018 if speech else 0.06) * SR))
    logf = sps.lfilter([1 - a], [1, -a], logf, zi=[logf[0] * a])[0]
    wob = _filt(rng.standard_normal(n), "lowpass", 6) * 0.15
    rate = rng.uniform(5.0, 6.5)
    vibrato = vib * np.clip((age - 0.15) / 0.35, 0, 1) * np.sin(2 * np.pi * rate * idx / SR)  # grows on long notes
    f0 = np.exp(logf) * 2 ** ((wob + vibrato) / 12)
    src = _osc(_GLOTTAL, f0, n) + breath * _filt(rng.standard_normal(n), "highpass", 1500)
    out = np.zeros(n + int(0.1 * SR))
    groups = [i for i, nt in enumerate(notes) if nt[3] or i == 0] + [len(notes)]
    for g0, g1 in zip(groups[:-1], groups[1:]):
        a0 = starts[g0]
        end = notes[g1 - 1][0] + notes[g1 - 1][1] * (0.75 if speech else 1.0)
        b = min(n, int((end - t0) * SR) + int(0.04 * SR))
        if b - a0 < 64:
            continue
        seg = src[a0:b] * _ar(b - a0, 0.008 if speech else 0.03, 0.04)
        vowel = VOWELS[rng.choice(list(VOWELS))]
        y = sum(g * sps.lfilter(*sps.iirpeak(min(f * fmt, 0.45 * SR), f * fmt / bw, fs=SR), seg)
                for f, g, bw in zip(vowel, (1.0, 0.7, 0.45), (90, 110, 160)))
        cons = CONSONANTS[rng.choice(list(CONSONANTS))] if rng.random() < (0.85 if speech else 0.5) else None
        if cons:
            m = min(y.size, int(rng.uniform(0.03, 0.08) * SR))
            burst = _filt(rng.standard_normal(m), "bandpass", cons) * np.linspace(1, 0, m) ** 2
            y[:m] = y[:m] * np.linspace(0.3, 1, m) + burst * (0.5 if speech else 0.25)
        acc = rng.uniform(0.7, 1.0) if speech else 1.0
        out[a0:a0 + y.size] += acc * y
    if grit:
        out = np.tanh(out * (1 + grit) / (np.abs(out).max() + 1e-9)) / np.tanh(1 + grit)
    return t0, out / (np.abs(out).max() + 1e-9)


def _sing_line(rng, beats, pos, durs, degs, base, scale, melisma=0.25):
    """Notes on a beat map: positions/durations in beats, degrees in ``scale``."""
    notes = []
    for i, (p, d, g) in enumerate(zip(pos, durs, degs)):
        notes.append((_at(beats, p), _at(beats, p + d) - _at(beats, p), _hz(base, scale, g),
                      i == 0 or rng.random() > melisma))
    return notes


def _chorus(rng, buf, notes, gain, voices=3, fmt=1.0):
    for _ in range(voices):
        det = 2 ** (rng.normal(0, 0.12) / 12)
        jit = [(s + rng.normal(0, 0.015), d, h * det, ns) for s, d, h, ns in notes]
        t0, y = _voice(rng, jit, fmt=fmt * rng.uniform(0.93, 1.08), vib=0.2, breath=0.1)
        _add(buf, t0, y, gain / np.sqrt(voices))


# ---------------------------------------------------------------- instruments
def _tabla_kit(rng, pitch, bayan):
    t = np.arange(int(0.7 * SR)) / SR

    def ring(f, parts, taus, amps, bend=0.0):
        return sum(a * np.exp(-t / tau) * np.sin(2 * np.pi * np.cumsum(f * p * (1 + bend * np.exp(-t / 0.015))) / SR)
                   for p, tau, a in zip(parts, taus, amps))

    click = _filt(rng.standard_normal(t.size) * np.exp(-t / 0.004), "highpass", 2500)
    na = ring(pitch, (1, 2, 3, 4.01), (.2, .1, .07, .04), (1, .5, .35, .2), .02) + .5 * click
    tin = ring(pitch, (1, 2, 3.02), (.06, .25, .14), (.2, .8, .4)) + .2 * click
    te = ring(pitch, (1, 2.9), (.03, .02), (.6, .3)) + .6 * click
    ge = np.exp(-t / .45) * np.sin(2 * np.pi * np.cumsum(bayan * (1 + .2 * (1 - np.exp(-t / .12)))) / SR)
    ke = _filt(rng.standard_normal(t.size), "lowpass", 900) * np.exp(-t / .03) * .6
    return {"na": na, "tin": tin, "te": te, "ge": ge, "ke": ke, "dha": na + ge, "dhin": tin + ge, "-": None}


def _dholak_kit(rng):
    t = np.arange(int(0.5 * SR)) / SR
    lo_f = rng.uniform(95, 130)
    lo = np.exp(-t / .2) * np.sin(2 * np.pi * np.cumsum(lo_f * (1 + .6 * np.exp(-t / .02))) / SR)
    slap = _filt(rng.standard_normal(t.size), "bandpass", (1500, 5000)) * np.exp(-t / .012)
    hi = np.exp(-t / .06) * np.sin(2 * np.pi * rng.uniform(420, 560) * t) + .8 * slap
    return {"lo": lo + .3 * slap, "hi": hi, "ta": slap * 1.5, "-": None}


def _play(buf, times, pattern, kit, gain, rng, jitter_ms=8.0):
    for i, tt in enumerate(times):
        x = kit[pattern[i % len(pattern)]]
        if x is not None:
            _add(buf, tt + rng.normal(0, jitter_ms / 1000), x, gain * rng.uniform(0.75, 1.0))


def _claps(rng, n, times, people):
    exc = np.zeros(n)
    m = int(0.08 * SR)
    tails = [rng.standard_normal(m) * np.exp(-np.arange(m) / (rng.uniform(.008, .02) * SR)) for _ in range(6)]
    for tt in times:
        for _ in range(people):
            c = tt + rng.normal(0, 0.012)
            for j in range(3):  # the palms meet in a few micro-impacts
                _add(exc, c + j * rng.uniform(.004, .009), tails[rng.integers(6)], rng.uniform(.4, 1) * (1 - .25 * j))
    out = _filt(exc, "bandpass", (rng.uniform(700, 1000), rng.uniform(2400, 3400)))
    return out + .5 * sps.lfilter(*sps.iirpeak(rng.uniform(1000, 1500), 3, fs=SR), exc)


def _harmonium(rng, notes, n, tab, drone=None):
    out = np.zeros(n)
    for s, d, hz, _ in notes:
        m = int((d + 0.1) * SR)
        x = _osc(tab, hz, m) + 0.7 * _osc(tab, hz * 1.0028, m)
        _add(out, s + 0.04, x * _ar(m, 0.03, 0.1))
    if drone:
        out += 0.35 * sum(_osc(tab, f, n) for f in drone)
    t = np.arange(n) / SR
    return _filt(out * (0.8 + 0.2 * np.sin(2 * np.pi * rng.uniform(.2, .5) * t)), "lowpass", 3800)


def _bowed(rng, notes, n):
    """FM sarangi: gliding pitch, bow-pressure index, body resonances."""
    out, prev = np.zeros(n), notes[0][2]
    for s, d, hz, _ in notes:
        m = int((d + 0.15) * SR)
        tt = np.arange(m) / SR
        bow = _ar(m, 0.12, 0.15) * (0.8 + 0.2 * np.sin(np.linspace(0, 3, m)))
        glide = (prev / hz) ** np.exp(-tt / 0.05)  # meend from the previous note
        f = hz * glide * 2 ** (0.4 * np.sin(2 * np.pi * 5.8 * tt) * np.clip(tt - .2, 0, .4) / 12)
        _add(out, s, bow * _fm(f, 1.0, 1.2 + 1.3 * bow, m))
        prev = hz
    return sum(sps.lfilter(*sps.iirpeak(fr, 4, fs=SR), out) for fr in (650, 1500, 2900)) + .3 * out


def _santur(rng, notes, n):
    out = np.zeros(n)
    for s, d, hz, _ in notes:
        m = int(0.9 * SR)
        tt = np.arange(m) / SR
        for k in range(max(1, int(d / 0.11))):  # tremolo strikes
            _add(out, s + k * 0.11, np.exp(-tt / .35) * _fm(hz, 3.01, 1.8 * np.exp(-tt / .08), m), 0.7 ** (k > 0))
    return out


def _tanpura(rng, n, sa):
    tab = _table([1 / k * (1.5 if 6 < k < 14 else 1) for k in range(1, 19)], rng.uniform(0, 6, 18))
    m = int(3.2 * SR)
    tt = np.arange(m) / SR
    strings = [sa * 1.5 / 2, sa, sa, sa / 2]
    temps = [np.exp(-tt / 1.4) * _osc(tab, f * (1 + .0015 * np.exp(-tt / .3)), m) for f in strings]
    out, t, i, cyc = np.zeros(n), 0.0, 0, rng.uniform(3.2, 4.4)
    while t < n / SR:
        _add(out, t, temps[i % 4], 0.8 if i % 4 else 1.0)
        t, i = t + cyc / 4 * rng.uniform(.95, 1.05), i + 1
    return out


def _kit(rng):
    t = np.arange(int(1.5 * SR)) / SR
    noise = rng.standard_normal(t.size)
    kick = np.exp(-t / rng.uniform(.15, .3)) * np.sin(2 * np.pi * np.cumsum(48 + 120 * np.exp(-t / .03)) / SR)
    snare = (.6 * np.exp(-t / .07) * np.sin(2 * np.pi * rng.uniform(175, 215) * t)
             + _filt(noise, "bandpass", (1200, 8000)) * np.exp(-t / rng.uniform(.09, .18)))
    hat = _filt(noise, "highpass", 7000) * np.exp(-t / .025)
    return {"k": kick + .3 * noise * np.exp(-t / .002), "s": snare, "h": hat * .6,
            "o": _filt(noise, "highpass", 6000) * np.exp(-t / .3) * .5,
            "c": _filt(noise, "highpass", 3500) * np.exp(-t / 1.1) * .6,
            "t": np.exp(-t / .3) * np.sin(2 * np.pi * np.cumsum(110 + 60 * np.exp(-t / .05)) / SR),
            "p": sum(_filt(noise, "bandpass", (900, 3000)) * np.exp(-(t - d) / .015) * (t >= d) for d in (0, .01, .02)),
            "-": None}


def _guitar(rng, hits, n, tab, drive, ratios=(1, 1.4983, 2, 1.003)):
    """Power chords (root, fifth, octave) summed first, then distorted and cabinet-filtered."""
    out, cache = np.zeros(n), {}
    for s, d, hz, _ in hits:
        key = (round(hz, 2), round(d, 2))
        if key not in cache:
            m = int((d + 0.03) * SR)
            x = sum(_osc(tab, hz * r * (1 + rng.normal(0, .001)), m) for r in ratios)
            cache[key] = x * _ar(m, 0.004, 0.03) * np.exp(-np.arange(m) / SR / max(d, .05))
        _add(out, s, cache[key])
    out = np.tanh(drive * _filt(out, "bandpass", (350, 2500), 1) + 0.15)  # mid-pushed asymmetric overdrive
    out = _filt(out - out.mean(), "lowpass", rng.uniform(4000, 6000), 4)
    return _filt(out, "highpass", 90) + 1.2 * sps.lfilter(*sps.iirpeak(rng.uniform(1400, 2600), 1.2, fs=SR), out)


# ---------------------------------------------------------------- songs
def _ghazal(rng, n):
    secs, female = n / SR, rng.random() < 0.4
    sa = rng.uniform(190, 240) if female else rng.uniform(120, 155)
    scale, mix = RAGAS[rng.integers(len(RAGAS))], np.zeros(n)
    intro, outro = min(secs * 0.25, rng.uniform(15, 35)), min(8.0, secs * 0.08)
    htab = _table([k ** -0.6 * rng.uniform(.6, 1.4) * (1.3 if k % 2 else 1) for k in range(1, 15)])
    mix += 0.18 * _tanpura(rng, n, sa)
    free = np.cumsum(np.r_[rng.uniform(0.5, 2), rng.uniform(1.2, 3.2, 40)])  # unmetered alaap
    alap = [(t, rng.uniform(1.2, 3.0), _hz(sa, scale, g), True)
            for t, g in zip(free, _walk(rng, 40, -3, 7)) if t < intro - 2]
    beats = _beats(intro, secs, *(2 * [rng.uniform(56, 80) * 2]))  # matras of dadra
    kit, mel, hnotes, inter = _tabla_kit(rng, sa * 2, rng.uniform(85, 110)), [], list(alap), []
    theka = rng.choice(["dha dhin na dha tin na", "dha ge na dha tin na", "dha dhin dhin dha tin te"]).split()
    cyc, end_beat = 0, np.searchsorted(beats, secs - outro)
    while 6 * cyc + 12 <= end_beat:
        if cyc % 6 < 4:  # two sung lines, then an interlude
            pos = np.cumsum(np.r_[0, rng.choice([1, 1, 2, 2, 3], 11)])
            pos = pos[pos < 11] + 6 * cyc
            durs = np.diff(np.r_[pos, 6 * cyc + 12])
            line = _sing_line(rng, beats, pos, durs, _walk(rng, pos.size, -2, 9, rng.integers(0, 5)), sa, scale, .3)
            mel.append(line)
            hnotes += line
        else:
            pos = np.arange(6 * cyc, 6 * cyc + 12, rng.choice([1, 2]))
            step = np.full(pos.size, pos[1] - pos[0])
            inter += _sing_line(rng, beats, pos, step, _walk(rng, pos.size, 0, 10, 4), sa, scale)
        cyc += 2
    tabla = np.zeros(n)
    tb = beats[beats < secs - outro]
    _play(tabla, tb, theka, kit, 1.0, rng)
    mix += 0.22 * _filt(tabla, "lowpass", 5000) * np.clip((np.arange(n) / SR - intro) / 4, 0, 1)
    mix += 0.28 * _harmonium(rng, hnotes + [(secs - outro, max(0.5, outro - 1), sa, True)], n, htab, drone=[sa / 2])
    sar = [x for x in alap if rng.random() < .6] + inter
    if sar:
        mix += 0.35 * (_bowed(rng, sar, n) if rng.random() < .65 else _santur(rng, sar, n) * 0.8)
    fmt = 1.15 if female else 1.0
    for line in mel + ([alap[len(alap) // 2:]] if len(alap) > 1 and rng.random() < .6 else []):
        t0, y = _voice(rng, line, fmt=fmt, vib=rng.uniform(.3, .6))
        _add(mix, t0, y, 0.55)
    mix *= np.clip(0.3 + 0.7 * (np.arange(n) / SR - intro) / 5, 0.3, 1.0)  # a mellow, quiet intro
    return mix, dict(comp=(-24, 2.0), drive=1.0, rt60=rng.uniform(1.4, 2.2), wet=.22, noise=-62, rms=-21)


def _qawwali(rng, n):
    secs, sa = n / SR, rng.uniform(110, 150)
    scale, mix = RAGAS[rng.choice([1, 2, 3])], np.zeros(n)
    intro = min(secs * 0.18, rng.uniform(8, 22))
    bpm0 = rng.uniform(88, 112)
    beats = _beats(intro, secs, bpm0, bpm0 * rng.uniform(1.2, 1.6), curve=rng.uniform(1.5, 3))
    htab = _table([k ** -0.5 * rng.uniform(.7, 1.3) for k in range(1, 15)])
    free = np.cumsum(np.r_[0.3, rng.uniform(0.6, 2.0, 30)])
    alap = [(t, 1.8, _hz(sa, scale, g), True) for t, g in zip(free, _walk(rng, 30, -2, 8)) if t < intro - 1]
    lead, chorus, hn = np.zeros(n), np.zeros(n), list(alap)
    b, end_beat = 0, np.searchsorted(beats, secs - 1.5)
    while b + 16 <= end_beat:
        dens = 1 + int(2 * b / max(end_beat, 1))  # later phrases get busier
        pos = (b + np.arange(7 * dens) / dens)[rng.random(7 * dens) < .8]
        if pos.size < 2:
            pos = np.array([b, b + 1.0])
        durs, degs = np.diff(np.r_[pos, b + 7.5]), _walk(rng, pos.size, -1, 9, rng.integers(0, 5))
        line = _sing_line(rng, beats, pos, durs, degs, sa, scale, .2)
        t0, y = _voice(rng, line, vib=.3, grit=.5)
        _add(lead, t0, y)
        resp = _sing_line(rng, beats, pos + 8, durs, degs, sa, scale, .2)  # the chorus answers
        _chorus(rng, chorus, resp, 1.0, voices=3)
        hn += line + resp
        b += 16
    ramp = 0.8 + 0.4 * np.clip(np.arange(n) / SR / secs, 0, 1)
    clap_beats = beats[beats < secs - 1]
    if rng.random() < .5:  # double-time clapping in the last third
        late = clap_beats[clap_beats > secs * .66]
        clap_beats = np.sort(np.r_[clap_beats, (late[:-1] + late[1:]) / 2])
    dh, tabla = np.zeros(n), np.zeros(n)
    mb = _at(beats, np.arange(0, beats.size - 1, 0.5))
    mb = mb[mb < secs - 1]
    _play(dh, mb, rng.choice(["lo - hi lo - lo hi ta", "lo ta hi - lo lo hi ta", "lo hi ta lo - hi lo ta"]).split(),
          _dholak_kit(rng), 1.0, rng, 5)
    if rng.random() < .6:
        _play(tabla, mb, "dha ge na te na ke dhin na".split(), _tabla_kit(rng, sa * 2, 100), 1.0, rng, 5)
    mix += ramp * (0.7 * _claps(rng, n, clap_beats, int(rng.integers(6, 13))) + 0.45 * dh + 0.25 * tabla)
    mix += 0.3 * ramp * _harmonium(rng, hn, n, htab, drone=[sa / 2, sa * .75])
    mix += ramp * (0.6 * lead + 0.55 * chorus)
    if alap:
        t0, y = _voice(rng, alap, vib=.5)
        _add(mix, t0, y, 0.45)
    crowd = _filt(np.random.default_rng(rng.integers(1 << 31)).standard_normal(n), "bandpass", (250, 2500))
    mix += 0.02 * crowd * (1 + .5 * np.sin(2 * np.pi * .07 * np.arange(n) / SR))
    return mix, dict(comp=(-20, 3.0), drive=1.3, rt60=rng.uniform(.9, 1.4), wet=.18, noise=-52, hum=True, rms=-16)


def _hiphop(rng, n):
    secs, trap = n / SR, rng.random() < 0.45
    bpm = rng.uniform(130, 150) if trap else rng.uniform(80, 97)
    beats, mix = _beats(0.0, secs, bpm, bpm), np.zeros(n)
    grid = np.arange(4 * (beats.size - 1)) / 4
    grid[1::2] += 0 if trap else rng.uniform(.04, .12)  # swung 16ths
    steps = _at(beats, grid)
    root = rng.uniform(41, 55)  # Hz, E1..A1
    prog = [[0, 8, 3, 10], [0, 5, 7, 0], [0, 3, 8, 7], [0, 10, 8, 7]][rng.integers(4)]
    kit = _kit(rng)
    kick = ("k---------k--k--" if trap else rng.choice(["k------k--k-----", "k--k---k--k---k-", "k-----k-k-k-----"]))
    snare = "--------s-------" if trap else ("----s-------s---" if rng.random() < .7 else "----p-------p---")
    bars = int(np.sum(steps[::16] < secs - 0.5))
    intro_bars, out_bars = min(4, bars // 5), min(4, bars // 6)
    cache = {}
    drums, bass, keys, vox, scr = (np.zeros(n) for _ in range(5))
    for bar in range(bars):
        st = steps[bar * 16:(bar + 1) * 16]
        chord = prog[bar % 4]
        if intro_bars <= bar < bars - out_bars or (bar % 2 and bar < intro_bars):
            _play(drums, st, kick, kit, 1.0, rng, 2)
            _play(drums, st, snare, kit, .8, rng, 2)
            hats = st if trap else st[::2]
            _play(drums, hats, ["h"], kit, .5, rng, 3)
            if trap and rng.random() < .5:  # hi-hat roll
                r0 = st[12]
                _play(drums, r0 + np.arange(6) * (st[1] - st[0]) / 3, ["h"], kit, .4, rng, 0)
            for i, c in enumerate(kick):
                if c == "k":
                    d = (st[1] - st[0]) * (6 if trap else 3)
                    if ("808", chord) not in cache:
                        f, m = root * 2 ** (chord / 12), int(d * SR)
                        tt = np.arange(m) / SR
                        b = np.tanh(1.8 * np.sin(2 * np.pi * np.cumsum(f * (1 + .4 * np.exp(-tt / .04))) / SR))
                        cache["808", chord] = b * _ar(m, .003, .06) * np.exp(-tt / (1.0 if trap else .35))
                    _add(bass, st[i], cache["808", chord])
        m = int((beats[1] - beats[0]) * 4 * SR)
        for semi in (0, 3, 7, 10, 14):
            if ("key", chord, semi) not in cache:
                hz, tt = root * 8 * 2 ** ((chord + semi) / 12), np.arange(m) / SR
                if trap:  # FM bell arpeggio
                    cache["key", chord, semi] = .6 * _fm(hz * 2, 3.5, 1.5 * np.exp(-tt / .1), m) * np.exp(-tt / .3)
                else:  # FM electric piano chord
                    cache["key", chord, semi] = .5 * np.exp(-tt / .9) * (
                        _fm(hz, 1.0, 2.5 * np.exp(-tt / .25) + .3, m) + .2 * _fm(hz, 14, .5 * np.exp(-tt / .02), m))
            _add(keys, st[(semi % 4) * 4] if trap else st[0], cache["key", chord, semi])
    sections = np.arange(intro_bars, bars - out_bars)
    for bar in sections:
        st = steps[bar * 16:(bar + 1) * 16]
        hook = (bar - intro_bars) % 24 >= 16
        if hook:
            if bar % 2 == 0:
                pos = np.arange(0, 8, 1.0)
                line = _sing_line(rng, beats, 4 * bar + pos, np.ones(8), [0, 0, 2, 1, 0, 0, 4, 2], root * 4,
                                  [0, 2, 3, 5, 7, 8, 10])
                _chorus(rng, vox, line, 0.8, voices=2)
            continue
        on = np.flatnonzero(rng.random(16) < rng.uniform(.55, .85))
        if on.size < 2 or (bar - intro_bars) % 4 == 3 and rng.random() < .3:
            continue
        base = rng.uniform(95, 135)
        notes = [(st[i], st[1] - st[0], base * 2 ** ((rng.choice([0, 0, 1, 2, 3, -1]) + 2 * (i % 4 == 0)) / 12), True)
                 for i in on]
        t0, y = _voice(rng, notes, speech=True, vib=0, breath=.2)
        _add(vox, t0, y)
    if bars > 2:  # turntable scratches on a sung "aa"
        _, src = _voice(rng, [(0, .8, root * 6, True)], vib=0)
        for bar in [1, 3] + [b for b in sections if (b - intro_bars) % 24 == 15]:
            if bar >= bars:
                continue
            t0, d = steps[bar * 16], 4 * (beats[1] - beats[0])
            m, r = int(d * SR), rng.uniform(3, 6) * bpm / 60 / 2
            tt = np.arange(m) / SR
            p = (0.1 + 0.25 * (0.5 - 0.5 * np.cos(2 * np.pi * r * tt))) * SR
            cut = (np.sin(2 * np.pi * 2 * r * tt) > -.3).astype(float)
            _add(scr, t0, np.interp(p, np.arange(src.size), src) * cut)
    keys = _filt(keys, "lowpass", 9000 if trap else 3200)
    if not trap:
        crackle = (rng.random(n) < 3e-4) * rng.standard_normal(n)
        keys += 0.1 * _filt(crackle, "highpass", 1500)
    mix += 0.6 * drums + 0.55 * bass + 0.3 * keys + 0.7 * vox + 0.4 * _filt(scr, "highpass", 300)
    return mix, dict(comp=(-18, 4.0), drive=1.6, rt60=.35, wet=.08, noise=-70, rms=-13)


def _rock(rng, n):
    secs, bpm = n / SR, rng.uniform(128, 178)
    beats, mix = _beats(0.0, secs, bpm, bpm), np.zeros(n)
    root = rng.choice([82.4, 98.0, 110.0, 73.4])
    kit, gtab = _kit(rng), _table([1 / k for k in range(1, 28)])
    progs = [[0, 0, 5, 3], [0, 10, 8, 10], [0, 3, 5, 5], [0, 8, 10, 7]]
    verse, chorus_p = progs[rng.integers(4)], progs[rng.integers(4)]
    form = ["intro"] + ["verse", "chorus", "verse", "chorus", "solo", "chorus"] * 20
    drums, hits, bass, vox, lead_n = np.zeros(n), [], np.zeros(n), np.zeros(n), []
    btab, pent = _table([1, .5, .3, .15, .08]), [0, 3, 5, 7, 10]
    bar, end_bar = 0, max(1, int(np.sum(beats[4::4] < secs - 2.5)))
    vt = root * 2 ** round(np.log2(150 / root))  # the singer's tonic, near 150 Hz
    for sec in form:
        length = 2 if sec == "intro" else 8
        for k in range(length):
            if bar >= end_bar:
                break
            b0, chord = bar * 4, (chorus_p if sec == "chorus" else verse)[k % 4]
            e = _at(beats, b0 + np.arange(8) / 2)
            e8 = e[1] - e[0]
            hz = root * 2 ** (chord / 12)
            if sec == "chorus" or sec == "solo":
                hits += [(e[0], 3 * e8, hz, True), (e[3], e8, hz, True), (e[4], 3 * e8, hz, True), (e[7], e8, hz, True)]
            else:
                hits += [(t, 0.35 * e8, hz, True) for t in e]
            for t in e:
                _add(bass, t, _osc(btab, hz / 2, int(e8 * SR)) * _ar(int(e8 * SR), .005, .02))
            if sec != "intro" or k == length - 1:
                fill = k == length - 1 and sec != "intro"
                pat = "k-s-kks-" if not fill else "k-s-tttt"
                _play(drums, e, pat, kit, 1.0, rng, 3)
                _play(drums, e, ["o" if sec == "chorus" else "h"], kit, .6, rng, 3)
                if k == 0:
                    _add(drums, e[0], kit["c"])
            if sec in ("verse", "chorus") and k % 2 == 0:
                pos = b0 + np.cumsum(np.r_[0, rng.choice([.5, .5, 1, 1, 1.5], 9)])
                pos = pos[pos < b0 + 7]
                lo = 2 if sec == "chorus" else 0
                line = _sing_line(rng, beats, pos, np.diff(np.r_[pos, b0 + 7.5]),
                                  _walk(rng, pos.size, lo, lo + 5, lo + 2), vt, pent, .1)
                t0, y = _voice(rng, line, vib=.25, grit=1.5, breath=.08)
                _add(vox, t0, y, 1.0 if sec == "verse" else 1.2)
            if sec == "solo":
                pos = np.arange(8) / 2 + b0
                lead_n += _sing_line(rng, beats, pos, np.full(8, .5), _walk(rng, 8, 5, 14, 8), root * 2, pent)
            bar += 1
        if bar >= end_bar:
            break
    ending = _at(beats, bar * 4)
    hits.append((ending, min(3.0, max(0.2, secs - ending - .2)), root, True))
    _add(drums, ending, kit["c"])
    _add(drums, ending, kit["k"])
    gtr = _guitar(rng, hits, n, gtab, rng.uniform(6, 14))
    lead = _guitar(rng, lead_n, n, gtab, 10, ratios=(1, 1.004)) if lead_n else 0
    mix += 0.55 * drums + 0.9 * gtr + 0.3 * _filt(np.tanh(2 * bass), "lowpass", 900) + 0.6 * vox + 0.45 * lead
    return mix, dict(comp=(-16, 4.0), drive=2.0, rt60=rng.uniform(.6, 1.0), wet=.12, noise=-66, rms=-12)


# ---------------------------------------------------------------- mastering
def _master(rng, x, p):
    n = x.size
    x = x / (np.sqrt(np.mean(x ** 2)) + 1e-9) * 0.1
    a = np.exp(-1 / (0.02 * SR))  # feed-forward RMS compressor
    lvl = 10 * np.log10(sps.lfilter([1 - a], [1, -a], x * x) + 1e-10)
    thr, ratio = p["comp"]
    x = x * 10 ** (-np.maximum(lvl - thr, 0) * (1 - 1 / ratio) / 20)
    if p["drive"] > 1:
        x = np.tanh(p["drive"] * x / (np.abs(x).max() + 1e-9) * 1.5) / p["drive"]
    m = int(p["rt60"] * SR)
    tt = np.arange(m) / SR
    ir = sps.lfilter([0.35], [1, -0.65], rng.standard_normal(m)) * 10 ** (-3 * tt / p["rt60"])
    ir[: int(0.015 * SR)] = 0
    wet = sps.oaconvolve(x, ir / np.sqrt(np.sum(ir ** 2)))[:n]
    x = x + p["wet"] * wet
    x /= np.sqrt(np.mean(x ** 2)) + 1e-9
    pink = sps.lfilter([0.049922, -0.095994, 0.050613, -0.004409], [1, -2.494956, 2.017266, -0.522189],
                       rng.standard_normal(n))
    x = x + pink / (np.sqrt(np.mean(pink ** 2)) + 1e-9) * 10 ** (p["noise"] / 20)
    if p.get("hum"):
        tt = np.arange(n) / SR
        x += 10 ** (-50 / 20) * (np.sin(2 * np.pi * 50 * tt) + .5 * np.sin(2 * np.pi * 150 * tt))
    x *= 10 ** (p["rms"] / 20)
    x = np.tanh(x)  # soft limiter, never past 1
    fade = min(n // 4, int(rng.uniform(1.0, 3.0) * SR))
    x[n - fade:] *= np.linspace(1, 0, fade) ** 1.5
    x[: min(n, 220)] *= np.linspace(0, 1, min(n, 220))
    return x


_BUILDERS = {"Ghazal": _ghazal, "Qawwali": _qawwali, "Hip-hop": _hiphop, "Rock": _rock}


def canonical_genre(genre: str) -> str:
    """The name in :data:`GENRES` that ``genre`` means (case, spaces and hyphens ignored).

    Raises
    ------
    ValueError
        ``genre`` is none of them; the message names it.
    """
    key = "".join(c for c in str(genre).lower() if c.isalnum())
    for g in GENRES:
        if key == "".join(c for c in g.lower() if c.isalnum()):
            return g
    raise ValueError(f"unknown genre {genre!r}; expected one of {', '.join(GENRES)}")


def generate(genre: str, seed: int, seconds: float) -> np.ndarray:
    """Make one song.

    Parameters
    ----------
    genre : str
        One of :data:`GENRES`.
    seed : int
        Same seed, genre and length give the same samples.
    seconds : float
        Length; the result has exactly ``round(seconds * 22050)`` samples.

    Returns
    -------
    numpy.ndarray, shape (n,), float32
        Mono audio at 22,050 Hz, peak at most 1.
    """
    g = canonical_genre(genre)
    n = int(round(float(seconds) * SR))
    if n < SR:
        raise ValueError(f"seconds must be at least 1 (got {seconds})")
    rng = np.random.default_rng([abs(int(seed)), GENRES.index(g), 0x1D5])
    mix, profile = _BUILDERS[g](rng, n)
    out = _master(rng, np.nan_to_num(mix[:n]), profile).astype(np.float32)
    return np.clip(out, -1.0, 1.0)


def write_mp3(path: str | Path, audio: np.ndarray, bitrate: int = 128_000) -> Path:
    """Encode mono 22,050 Hz audio to MP3 with libmp3lame (the project's encoder: only the songs are independent)."""
    from training.encode import encode_mono

    encode_mono(path, audio, sample_rate=SR, container_format="mp3", codec="libmp3lame", bit_rate=bitrate)
    return Path(path)


def write_corpus(out_dir, per_genre, seed, seconds=(90.0, 150.0), formats=("mp3",), genres=GENRES) -> list[Path]:
    """Write a corpus: ``out_dir/<Genre>/<n>.<ext>`` (n = 000, 001, ...).

    Parameters
    ----------
    out_dir : str or Path
        Created if missing.
    per_genre : int
        Songs per genre.
    seed : int
        Song ``i`` of a genre uses seed ``seed * 1000 + i``; its length is drawn from ``seconds``.
    seconds : (float, float)
        Shortest and longest song length.
    formats : tuple of str
        ``"mp3"`` (PyAV, libmp3lame) and/or any extension soundfile writes (``"wav"``, ``"flac"``).
    genres : tuple of str
        Which genres.

    Returns
    -------
    list of Path
        The files written.
    """
    import soundfile

    written = []
    for gi, g in enumerate(genres):
        folder = Path(out_dir) / canonical_genre(g)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_genre):
            length = float(np.random.default_rng([abs(seed), gi, i]).uniform(*seconds))
            began = time.perf_counter()
            audio = generate(g, seed * 1000 + i, length)
            for ext in formats:
                path = folder / f"{i:03d}.{ext}"
                if ext == "mp3":
                    write_mp3(path, audio)
                else:
                    soundfile.write(str(path), audio, SR, subtype="PCM_16")
                written.append(path)
            log.info("%s/%03d: %.0f s of audio in %.1f s", g, i, length, time.perf_counter() - began)
    return written


def main(argv=None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--per-genre", type=int, default=8)
    parser.add_argument("--seed", type=int, default=424242)
    parser.add_argument("--seconds", default="90-150", help="A-B: song lengths drawn uniformly in [A, B]")
    parser.add_argument("--formats", default="mp3", help="comma-separated: mp3, wav, flac")
    args = parser.parse_args(argv)
    lo, _, hi = args.seconds.partition("-")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    paths = write_corpus(args.out_dir, args.per_genre, args.seed, (float(lo), float(hi or lo)),
                         tuple(f.strip().lower() for f in args.formats.split(",") if f.strip()))
    print(f"wrote {len(paths)} files under {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
