"""The four genre arrangers of the sampled renderer (DESIGN.md "Genre cues").

* Ghazal: slow dadra/keherwa, sung couplets, harmonium (reed organ) shadowing
  the voice over a Sa-Pa drone, answering sitar/shehnai/fiddle/santur,
  soft recorded tabla, free intro.
* Qawwali: free harmonium and alap intro, then an accelerating theka on
  tabla and dholak, an ensemble clapping throughout, lead lines answered by
  a chorus, a loud harmonium doubling them.
* Hip-hop: a sampler (boom-bap) or drum-machine (trap) beat from the start,
  or a recorded breakbeat, synth bass, a looped keys/strings/desi sample,
  rapped Urdu lines, a sung hook, vinyl noise and scratches.
* Rock: a recorded acoustic kit with fills and crashes, distorted or
  overdriven guitars in power chords, bass in eighths, sung lines, a lead
  guitar solo; fast from the start.

Each ``arrange(rng, sample_rate, n_samples, library)`` returns the dry mix,
shape (n_samples,), float32.
"""

from __future__ import annotations

import numpy as np

from training.sampled import arrange as A
from training.sampled.kits import ACOUSTIC_KITS, BREAKS, DHOLAK, MACHINE_KITS, Sampler, resolve
from training.sampled.midi import GM, Bend, Note, render_midi
from training.sampled.sources import SampleLibrary, load_sample
from training.sampled.voice import RAP_WORDS, random_singer, rap_line

THEKAS = {
    "dadra": ("dha", "dhin", "na", "dha", "tin", "na"),
    "keherwa": ("dha", "ge", "na", "ti", "na", "ke", "dhin", "na"),
    "qawwali": ("dha", "ge", "na", "dha", "ge", "dhin", "na", "ke"),
}


def _seconds(n: int, sr: int) -> float:
    return n / float(sr)


def _drone_notes(tonic: int, start: float, end: float, period: float, channel: int, rng) -> list[Note]:
    """A tanpura-like Pa-Sa-Sa-Sa pattern plucked on a low sitar."""
    out, t, k = [], start, 0
    pattern = (tonic - 5, tonic, tonic, tonic - 12)
    while t < end:
        out.append(Note(t, period * 1.8, pattern[k % 4], int(rng.integers(35, 55)), channel))
        t += period
        k += 1
    return out


def _sung_section(rng, vocal: A.VocalTrack, midi: list[Note], beats: np.ndarray, first_beat: int, n_beats: int,
                  pitches: np.ndarray, lengths_choice, harmonium_channel: int | None, answer_channel: int | None,
                  answer_pitches: np.ndarray | None, words_per_line=(4, 7), line_beats: int = 8,
                  gain: float = 1.0, lines_out: list | None = None):
    """Sing lines of ``line_beats`` beats (voice in the first part, instrument answering in the rest)."""
    b = first_beat
    end = min(first_beat + n_beats, len(beats) - 1)
    while b + line_beats <= end:
        words = A.lyric(rng, int(rng.integers(*words_per_line)))
        sung_beats = int(line_beats * 0.75)
        lengths = A.rhythm(rng, sung_beats, lengths_choice)[: len(words)]
        pos = np.concatenate([[0.0], np.cumsum(lengths)])[:-1] + b
        times = list(np.interp(pos, np.arange(len(beats)), beats))
        secs = [float(np.interp(p + d, np.arange(len(beats)), beats) - t) for p, d, t in zip(pos, lengths, times)]
        melody = A.walk(rng, pitches, len(lengths))
        vocal.phrase(times, secs, melody, words[: len(lengths)], gain)
        if lines_out is not None:
            lines_out.append((times, secs, melody, words[: len(lengths)]))
        if harmonium_channel is not None:
            midi += A.notes_for(harmonium_channel, times, secs, [p - 12 if p > 72 else p for p in melody],
                                (45, 80), rng)
        if answer_channel is not None and answer_pitches is not None:
            a_pos = np.arange(b + sung_beats, b + line_beats, 0.5)
            a_times = list(np.interp(a_pos, np.arange(len(beats)), beats))
            step = float(np.median(np.diff(beats[b: b + line_beats + 1]))) * 0.5
            midi += A.notes_for(answer_channel, a_times, [step] * len(a_times),
                                A.walk(rng, answer_pitches, len(a_times)), (55, 95), rng)
        b += line_beats


def ghazal(rng: np.random.Generator, sample_rate: int, n: int, library: SampleLibrary) -> np.ndarray:
    """A Ghazal: see the module docstring."""
    sr, dur = sample_rate, _seconds(n, sample_rate)
    sampler = Sampler(library, sr, rng)
    tonic = int(rng.integers(55, 63))
    raga = A.RAGAS[int(rng.integers(len(A.RAGAS)))]
    taal = "dadra" if rng.random() < 0.5 else "keherwa"
    bpm = float(rng.uniform(55, 90)) * (2 if taal == "dadra" and rng.random() < 0.5 else 1)
    intro = float(min(rng.uniform(6, 30), 0.4 * dur))
    beats = A.beat_times(intro, bpm, bpm * rng.uniform(0.98, 1.04), int((dur - intro) * bpm / 60) + 16)
    harmonium = GM["reed_organ"] if rng.random() < 0.7 else GM["accordion"]
    answer = int(rng.choice([GM["sitar"], GM["shehnai"], GM["fiddle"], GM["violin"], GM["dulcimer"], GM["flute"]]))
    programs = {0: harmonium, 1: answer, 2: GM["sitar"], 3: GM["strings"]}
    midi: list[Note] = []
    bends: list[Bend] = []
    singer = random_singer(rng)
    vocal = A.VocalTrack(n, sr, singer, library, rng, vibrato_cents=float(rng.uniform(25, 60)))
    voice_pitches = A.scale_pitches(tonic, raga, tonic - 2 if singer.variant.startswith("m") else tonic + 3,
                                    tonic + 12 if singer.variant.startswith("m") else tonic + 17)
    # Free intro: harmonium/strings hold the drone, the voice or the answering instrument plays an alap.
    midi.append(Note(0.3, max(0.5, intro - 0.3), tonic - 12, 50, 0))
    midi.append(Note(0.3, max(0.5, intro - 0.3), tonic - 5, 45, 0))
    t = float(rng.uniform(1.0, 3.0))
    alap = A.walk(rng, voice_pitches, 12)
    k = 0
    while t < intro - 1.5 and k < len(alap):
        d = float(rng.uniform(1.2, 3.0))
        if rng.random() < 0.5:
            vocal.phrase([t], [d], [alap[k]], ["آ"], 0.8)
        else:
            midi.append(Note(t, d, alap[k], int(rng.integers(50, 80)), 1))
            if answer in (GM["sitar"], GM["fiddle"], GM["violin"]) and rng.random() < 0.5:
                bends += [Bend(t + 0.3 * d, 0.0, 1), Bend(t + 0.6 * d, float(rng.choice([-1.0, 1.0])), 1),
                          Bend(t + 0.95 * d, 0.0, 1)]
        t += d + float(rng.uniform(0.2, 1.0))
        k += 1
    body_beats = len(beats) - 1
    _sung_section(rng, vocal, midi, beats, 0, body_beats, voice_pitches, (1.0, 1.5, 2.0, 3.0),
                  0 if rng.random() < 0.85 else None, 1,
                  A.scale_pitches(tonic, raga, tonic + 5, tonic + 24), line_beats=int(rng.choice([8, 12, 16])))
    midi += _drone_notes(tonic, intro, dur, 60.0 / bpm * 2, 2, rng) if rng.random() < 0.6 else []
    if rng.random() < 0.25:
        midi += [Note(float(beats[b]), float(beats[min(b + 8, len(beats) - 1)] - beats[b]), p, 40, 3)
                 for b in range(0, len(beats) - 1, 8) for p in (tonic - 12, tonic - 5)]
    tonal = render_midi(programs, midi, bends=bends, n_samples=n, sample_rate=sr, library=library,
                        volumes={0: 90, 1: 100, 2: 70, 3: 70})
    tabla = np.zeros(n, np.float32)
    if rng.random() < 0.92:
        tabla_beats = beats[beats < dur]
        A.tabla_theka(sampler, tabla, tabla_beats, THEKAS[taal], 1.0, ornament=float(rng.uniform(0.05, 0.3)))
    return A.mix({"tonal": tonal, "voice": vocal.buf, "tabla": tabla},
                 {"tonal": float(rng.uniform(-6, 0)), "voice": float(rng.uniform(-1, 3)),
                  "tabla": float(rng.uniform(-9, -2))})


def qawwali(rng: np.random.Generator, sample_rate: int, n: int, library: SampleLibrary) -> np.ndarray:
    """A Qawwali: see the module docstring."""
    sr, dur = sample_rate, _seconds(n, sample_rate)
    sampler = Sampler(library, sr, rng)
    tonic = int(rng.integers(53, 61))
    raga = A.RAGAS[int(rng.integers(len(A.RAGAS)))]
    bpm0 = float(rng.uniform(82, 118))
    bpm1 = bpm0 * float(rng.uniform(1.1, 1.45))
    intro = float(min(rng.uniform(8, 35), 0.35 * dur))
    n_beats = int((dur - intro) * (bpm0 + bpm1) / 120) + 16
    beats = A.beat_times(intro, bpm0, bpm1, n_beats)
    programs = {0: GM["reed_organ"] if rng.random() < 0.75 else GM["accordion"], 1: GM["reed_organ"],
                2: GM["fiddle"]}
    midi: list[Note] = []
    lead = A.VocalTrack(n, sr, random_singer(rng, "m" if rng.random() < 0.85 else "f"), library, rng,
                        vibrato_cents=float(rng.uniform(20, 45)))
    chorus = [A.VocalTrack(n, sr, random_singer(rng, "m"), library, rng, vibrato_cents=20.0)
              for _ in range(int(rng.integers(2, 4)))]
    pitches = A.scale_pitches(tonic, raga, tonic - 2, tonic + 14)
    # Intro: harmonium prelude then the lead's alap.
    prelude = A.walk(rng, A.scale_pitches(tonic, raga, tonic, tonic + 19), int(intro / 0.6))
    t = 0.4
    for p in prelude:
        if t > intro * 0.5:
            break
        d = float(rng.uniform(0.25, 0.9))
        midi.append(Note(t, d, p, int(rng.integers(60, 95)), 0))
        t += d
    while t < intro - 1.5:
        d = float(rng.uniform(1.5, 3.5))
        lead.phrase([t], [d], [int(rng.choice(pitches))], ["آ"], 1.0)
        midi.append(Note(t, d, tonic - 12, 55, 1))
        t += d + 0.3
    # Body: lead line, chorus repeats it; harmonium doubles both.
    lines: list = []
    line_beats = int(rng.choice([8, 16]))
    b = 0
    while b + 2 * line_beats <= n_beats:
        before = len(lines)
        _sung_section(rng, lead, midi, beats, b, line_beats, pitches, (0.5, 1.0, 1.0, 2.0), 0, None, None,
                      words_per_line=(5, 9), line_beats=line_beats, lines_out=lines)
        for times, secs, melody, words in lines[before:]:
            shift = float(beats[min(b + line_beats, n_beats)] - beats[b])
            for k, voice in enumerate(chorus):
                voice.phrase([x + shift + 0.012 * k for x in times], secs, melody, words, 0.8)
            midi += A.notes_for(0, [x + shift for x in times], secs, melody, (70, 105), rng)
        b += 2 * line_beats
    tonal = render_midi(programs, midi, n_samples=n, sample_rate=sr, library=library, volumes={0: 110, 1: 70, 2: 80})
    perc = np.zeros(n, np.float32)
    body = beats[beats < dur]
    A.tabla_theka(sampler, perc, body, THEKAS["qawwali" if rng.random() < 0.6 else "keherwa"], 1.0,
                  ornament=float(rng.uniform(0.2, 0.5)))
    dholak = np.zeros(n, np.float32)
    if rng.random() < 0.75:
        bass, treble = resolve(library, DHOLAK["bass"]), resolve(library, DHOLAK["treble"])
        for k in range(len(body) - 1):
            if k % 2 == 0:
                sampler.place(dholak, sampler.pick(bass), float(body[k]), 1.0)
            half = 0.5 * (body[k] + body[k + 1])
            sampler.place(dholak, sampler.pick(treble), float(half if k % 2 == 0 else body[k]), 0.6)
    claps = np.zeros(n, np.float32)
    pattern = int(rng.integers(3))  # 0: every beat, 1: off-beats too, 2: beats 1 and 3 of 4 plus off-beat
    clap_times = body if pattern == 0 else (
        np.sort(np.concatenate([body[:-1], 0.5 * (body[:-1] + body[1:])])) if pattern == 1 else body[::2])
    A.clap_ensemble(sampler, claps, clap_times, int(rng.integers(4, 12)), float(rng.uniform(0.006, 0.02)), 1.0)
    voices = lead.buf + sum(c.buf for c in chorus) * 0.7
    return A.mix({"tonal": tonal, "voice": voices, "tabla": perc, "dholak": dholak, "claps": claps},
                 {"tonal": float(rng.uniform(-4, 1)), "voice": float(rng.uniform(0, 3)),
                  "tabla": float(rng.uniform(-7, -1)), "dholak": float(rng.uniform(-9, -3)),
                  "claps": float(rng.uniform(-6, -1))})


def hiphop(rng: np.random.Generator, sample_rate: int, n: int, library: SampleLibrary) -> np.ndarray:
    """A Hip-hop song: see the module docstring."""
    sr, dur = sample_rate, _seconds(n, sample_rate)
    sampler = Sampler(library, sr, rng)
    trap = rng.random() < 0.4
    bpm = float(rng.uniform(130, 150) if trap else rng.uniform(78, 98))
    start = float(rng.uniform(0.0, 0.6))
    beats = A.beat_times(start, bpm, bpm, int(dur * bpm / 60) + 8)
    bar = 4
    drums = np.zeros(n, np.float32)
    use_break = (not trap) and rng.random() < 0.35
    if use_break:
        stem, loop_beats = BREAKS[int(rng.integers(len(BREAKS)))]
        loop = load_sample(library.sonic_pi(stem), sr)
        for b in range(0, len(beats) - loop_beats, loop_beats):
            span = beats[b + loop_beats] - beats[b]
            sampler.place(drums, loop, float(beats[b]), 1.0, rate=loop.size / sr / span)
    else:
        kit = MACHINE_KITS["trap" if trap else "boom"]
        kick, snare = sampler.pick(resolve(library, kit["kick"])), sampler.pick(resolve(library, kit["snare"]))
        hat, clap = sampler.pick(resolve(library, kit["hat"])), sampler.pick(resolve(library, kit["clap"]))
        kick_steps = [0, 10] if trap else [0, 7, 10] if rng.random() < 0.5 else [0, 3, 8, 10]
        snare_steps = [8] if trap else [4, 12]
        swing = 0.0 if trap else float(rng.uniform(0.0, 0.12))
        for b in range(0, len(beats) - bar, bar):
            t0, span = beats[b], beats[b + bar] - beats[b]
            step = span / 16
            for s in range(16):
                t = t0 + s * step + (swing * step if s % 2 else 0.0)
                if s in kick_steps or (rng.random() < 0.08 and s % 2 == 0):
                    sampler.place(drums, kick, t, 1.0)
                if s in snare_steps:
                    sampler.place(drums, clap if (trap or rng.random() < 0.3) else snare, t, 0.9)
                if trap or s % 2 == 0:
                    sampler.place(drums, hat, t, 0.35 * (1.0 if s % 4 == 0 else 0.7))
                    if trap and rng.random() < 0.12:
                        for r in range(1, 3):
                            sampler.place(drums, hat, t + r * step / 3, 0.25)
    tonic = int(rng.integers(33, 45))
    scale = A.WESTERN[int(rng.integers(len(A.WESTERN)))]
    loop_program = int(rng.choice([GM["electric_piano"], GM["piano"], GM["strings"], GM["warm_pad"], GM["sitar"],
                                   GM["shehnai"], GM["flute"], GM["organ"]]))
    programs = {0: loop_program, 1: GM["synth_bass"] if rng.random() < 0.6 else GM["synth_bass2"],
                2: GM["choir"]}
    midi: list[Note] = []
    degrees = [int(rng.choice([0, 3, 5, 7, 8, 10])) for _ in range(4)]
    motif = A.walk(rng, A.scale_pitches(tonic + 24, scale, tonic + 24, tonic + 43), 8)
    for b in range(0, len(beats) - bar, bar):
        chord_root = tonic + 24 + degrees[(b // bar) % 4]
        span = beats[b + bar] - beats[b]
        midi += [Note(float(beats[b]), float(span * 0.95), p, 60, 0) for p in (chord_root, chord_root + 3 + (b % 2),
                                                                                chord_root + 7)]
        if loop_program in (GM["sitar"], GM["shehnai"], GM["flute"]):
            midi += [Note(float(beats[b] + k * span / 8), float(span / 8), motif[k], 75, 0) for k in range(8)]
        midi += [Note(float(beats[b] + k * span / 4 * (2 if trap else 1)), float(span / 4 * 0.8), tonic + 12 +
                      degrees[(b // bar) % 4], 100, 1) for k in range(2 if trap else 4)]
    tonal = render_midi(programs, midi, n_samples=n, sample_rate=sr, library=library, volumes={0: 90, 1: 110, 2: 60})
    if (not trap) and rng.random() < 0.5:  # a low-passed "sampled" loop
        from scipy.signal import butter, sosfilt

        tonal = sosfilt(butter(2, float(rng.uniform(1500, 4000)), "low", fs=sr, output="sos"), tonal).astype(
            np.float32)
    rap = np.zeros(n, np.float32)
    rappers = [random_singer(rng, "m" if rng.random() < 0.8 else "f") for _ in range(1 if rng.random() < 0.7 else 2)]
    bars_per_line = 1 if trap else int(rng.choice([1, 2]))
    hook = A.VocalTrack(n, sr, random_singer(rng), library, rng, vibrato_cents=15.0)
    sung_hook = rng.random() < 0.45
    for b in range(0, len(beats) - bar * bars_per_line, bar * bars_per_line):
        section = (b // (bar * 8)) % 3
        t0, t1 = beats[b], beats[b + bar * bars_per_line]
        if section == 2 and sung_hook:
            words = A.lyric(rng, 4)
            step = (t1 - t0) / 4
            hook.phrase([t0 + k * step for k in range(4)], [step] * 4,
                        A.walk(rng, A.scale_pitches(tonic + 24, scale, tonic + 22, tonic + 36), 4), words)
            continue
        rapper = rappers[(b // (bar * 8)) % len(rappers)]
        words = A.lyric(rng, int(rng.integers(5, 10)), RAP_WORDS)
        y = rap_line(words, rapper, length_s=float((t1 - t0) * 0.92), sample_rate=sr, library=library)
        sampler.place(rap, y, float(t0 + rng.uniform(0, 0.05)), 1.0)
    extra = np.zeros(n, np.float32)
    if rng.random() < 0.4:
        hiss = load_sample(library.sonic_pi("vinyl_hiss"), sr)
        for t in np.arange(0, dur, hiss.size / sr):
            sampler.place(extra, hiss, float(t), 0.3)
    if rng.random() < 0.35:
        scratch = load_sample(library.sonic_pi(str(rng.choice(["vinyl_scratch", "vinyl_backspin", "vinyl_rewind"]))), sr)
        for b in range(bar * 8 - 1, len(beats) - 1, bar * 8):
            sampler.place(extra, scratch, float(beats[b]), 1.0)
    return A.mix({"drums": drums, "tonal": tonal, "rap": rap + hook.buf, "extra": extra},
                 {"drums": float(rng.uniform(0, 4)), "tonal": float(rng.uniform(-7, -1)),
                  "rap": float(rng.uniform(0, 3)), "extra": float(rng.uniform(-18, -8))})


def rock(rng: np.random.Generator, sample_rate: int, n: int, library: SampleLibrary) -> np.ndarray:
    """A Rock song: see the module docstring."""
    sr, dur = sample_rate, _seconds(n, sample_rate)
    sampler = Sampler(library, sr, rng)
    bpm = float(rng.uniform(110, 170))
    intro = 0.0 if rng.random() < 0.5 else float(rng.uniform(2, 15))
    beats = A.beat_times(0.0, bpm, bpm, int(dur * bpm / 60) + 8)
    bar = 4
    kit_name = str(rng.choice(list(ACOUSTIC_KITS)))
    kit = {role: [load_sample(p, sr) for p in resolve(library, entry)] for role, entry in ACOUSTIC_KITS[kit_name].items()}
    drums = np.zeros(n, np.float32)
    kick_steps = [[0, 8], [0, 6, 8], [0, 8, 10], [0, 3, 8, 11]][int(rng.integers(4))]
    ride = rng.random() < 0.3
    for b in range(0, len(beats) - bar, bar):
        t0 = beats[b]
        if t0 < intro and rng.random() < 0.7:
            continue
        step = (beats[b + bar] - t0) / 16
        bar_index = b // bar
        fill = bar_index % 8 == 7
        if bar_index % 8 == 0:
            sampler.place(drums, kit["crash"][int(rng.integers(len(kit["crash"])))], t0, 0.8)
        for s in range(16):
            t = t0 + s * step + rng.normal(0, 0.003)
            if fill and s >= 8:
                if s % 2 == 0:
                    sampler.place(drums, kit["tom"][min(len(kit["tom"]) - 1, (s - 8) // 3)], t, 0.9)
                continue
            if s in kick_steps:
                sampler.place(drums, kit["kick"][int(rng.integers(len(kit["kick"])))], t, 1.0)
            if s in (4, 12):
                sampler.place(drums, kit["snare"][int(rng.integers(len(kit["snare"])))], t, 0.95)
            elif rng.random() < 0.05:
                sampler.place(drums, kit["snare"][0], t, 0.2)
            if s % 2 == 0:
                sampler.place(drums, (kit["ride"] if ride else kit["hat"])[0], t, 0.4 if s % 4 == 0 else 0.28)
    tonic = int(rng.integers(40, 48))
    scale = A.WESTERN[int(rng.integers(len(A.WESTERN)))]
    guitar = GM["distortion_guitar"] if rng.random() < 0.65 else GM["overdriven_guitar"]
    programs = {0: guitar, 1: guitar, 2: GM["picked_bass"] if rng.random() < 0.5 else GM["bass"],
                3: GM["distortion_guitar"], 4: GM["clean_guitar"]}
    midi: list[Note] = []
    progression = [int(rng.choice([0, 3, 5, 7, 8, 10])) for _ in range(4)]
    progression[0] = 0
    for b in range(0, len(beats) - bar, bar):
        bar_index = b // bar
        root = tonic + progression[bar_index % 4]
        span = beats[b + bar] - beats[b]
        chorus = (bar_index // 8) % 2 == 1
        if beats[b] < intro and bar_index % 2:
            continue
        if chorus:
            for p in (root, root + 7, root + 12):
                midi += [Note(float(beats[b]), float(span * 0.49), p, 105, 0),
                         Note(float(beats[b] + span / 2), float(span * 0.49), p, 100, 1)]
        else:
            for k in range(8):
                for p in (root, root + 7):
                    midi.append(Note(float(beats[b] + k * span / 8), float(span / 8 * 0.5), p,
                                     int(rng.integers(80, 105)), k % 2))
        if beats[b] >= intro:
            midi += [Note(float(beats[b] + k * span / 8), float(span / 8 * 0.85), root - 12, 100, 2) for k in range(8)]
    solo_start = int(len(beats) * rng.uniform(0.5, 0.7)) // bar * bar
    solo_pitches = A.scale_pitches(tonic + 24, (0, 3, 5, 7, 10), tonic + 24, tonic + 48)
    line = A.walk(rng, solo_pitches, 64, leap=0.25)
    for k in range(min(64, len(beats) - solo_start - 1) * 1):
        t = float(beats[solo_start] + k * (60 / bpm) / 2)
        midi.append(Note(t, 60 / bpm / 2 * 0.9, line[k], 110, 3))
    if rng.random() < 0.3:
        midi += [Note(float(beats[b]), float(beats[b + 2] - beats[b]), tonic + 12 + progression[(b // bar) % 4] + d, 70, 4)
                 for b in range(0, int(intro * bpm / 60), 2) for d in (0, 4, 7)]
    tonal = render_midi(programs, midi, n_samples=n, sample_rate=sr, library=library,
                        volumes={0: 110, 1: 105, 2: 115, 3: 100, 4: 90})
    singer = random_singer(rng, "m" if rng.random() < 0.75 else "f")
    vocal = A.VocalTrack(n, sr, singer, library, rng, vibrato_cents=float(rng.uniform(5, 20)))
    voice_pitches = A.scale_pitches(tonic + 12, scale, tonic + 10 + (5 if singer.variant.startswith("f") else 0),
                                    tonic + 24 + (5 if singer.variant.startswith("f") else 0))
    first = int(np.searchsorted(beats, intro + 0.01))
    first = (first + bar - 1) // bar * bar
    b = first
    while b + 16 <= min(solo_start, len(beats) - 1):
        _sung_section(rng, vocal, midi, beats, b, 8, voice_pitches, (0.5, 0.5, 1.0, 1.0, 2.0), None, None, None,
                      words_per_line=(5, 9), line_beats=8)
        b += 8 if rng.random() < 0.7 else 16
    b = solo_start + 64 // 2
    while b + 8 <= len(beats) - 1:
        _sung_section(rng, vocal, midi, beats, b, 8, voice_pitches, (0.5, 1.0, 1.0, 2.0), None, None, None,
                      words_per_line=(5, 9), line_beats=8)
        b += 8
    return A.mix({"drums": drums, "tonal": tonal, "voice": vocal.buf},
                 {"drums": float(rng.uniform(-1, 3)), "tonal": float(rng.uniform(0, 4)),
                  "voice": float(rng.uniform(-2, 2))})


ARRANGERS = {"Ghazal": ghazal, "Qawwali": qawwali, "Hip-hop": hiphop, "Rock": rock}
