"""Rock arranger: loud backbeat drums, distorted guitars, bass on the roots, sung vocals.

Recipe (DESIGN.md "Genre cues"): 110-170 BPM (a few slower or faster),
a played acoustic kit (kick patterns, snare on 2 and 4, hats or ride,
crashes on section starts, tom fills), power chords through an amp
simulator (palm-muted chugs in verses, open chords in choruses), a
double-tracked second guitar, bass following the chord roots in eighths,
a lead guitar solo, sung (not rapped) vocals with some grit. Songs start
fast, or with a short (<= 20 s) quieter intro on clean/acoustic guitar, a
lone riff or the drums. Some are "sufi rock" (raga scale, tabla, harmonium).
"""

from __future__ import annotations

import numpy as np

from training.synth import dsp, theory
from training.synth.genres.common import Mixer, grid_line, pick_weighted, sung_phrase
from training.synth.notes import Note
from training.synth.percussion import make_kit, make_tabla
from training.synth.rhythm import ROCK_HATS, ROCK_KICKS, TAALS, grid_events, taal_events
from training.synth.timeline import TempoMap, plan_sections, tempo_curve
from training.synth.tonal import Bass, Harmonium, Keys, LegatoInstrument, Plucked, amp_sim
from training.synth.voice import Singer, render_voice

_MODES = (("minor", 0.26), ("minor pentatonic", 0.12), ("major", 0.2), ("mixolydian", 0.07), ("dorian", 0.07),
          ("blues", 0.08), ("phrygian", 0.05), ("harmonic minor", 0.05), ("Bhairavi", 0.04), ("Kafi", 0.03),
          ("Yaman", 0.03))


def arrange(rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
    """Compose and render one rock song (the :class:`~training.synth.genres.common.Arranger` contract)."""
    dur = n / sr
    mixer = Mixer(n, rng, sr)
    u = rng.random()
    bpm = rng.uniform(110, 170) if u < 0.85 else (rng.uniform(92, 110) if u < 0.93 else rng.uniform(170, 190))
    shuffle = rng.random() < 0.1
    swing = rng.uniform(0.6, 0.67) if shuffle else 0.5
    mname = pick_weighted(rng, _MODES)
    mode = theory.SCALES.get(mname) or theory.RAGAS[mname]
    sufi = mname in theory.RAGAS or rng.random() < 0.05
    tonic = int(rng.integers(28, 40))  # E1..D#2 for the bass; guitars sit an octave up
    intro_kind = str(rng.choice(["band", "riff", "clean", "drums"], p=[0.45, 0.2, 0.25, 0.1]))
    start_s = min(rng.uniform(0.0, 0.8), 0.1 * dur)
    tm = TempoMap(start_s, tempo_curve(rng, int(dur * bpm / 60) + 16, bpm, drift=rng.uniform(0.0, 0.01)))
    total_beats = tm.beat_at(dur)
    intro_bars = (2, 4) if intro_kind in ("band", "drums", "riff") else (4, 8)
    max_intro_bars = max(1, int(20.0 / (4 * 60 / bpm)))
    intro_bars = tuple(min(b, max_intro_bars) for b in intro_bars)
    pattern = [("intro", intro_bars, 0.55 if intro_kind != "band" else 0.8), ("verse", (8, 16), 0.65),
               ("prechorus", (2, 4), 0.75), ("chorus", (8,), 0.95), ("verse", (8,), 0.65), ("prechorus", (4,), 0.75),
               ("chorus", (8,), 0.95), ("solo", (8,), 0.9), ("bridge", (4, 8), 0.55), ("chorus", (8,), 1.0)]
    sections = plan_sections(rng, total_beats, 4, pattern, loop_from=4)

    prog_family = theory.PROGRESSIONS_MINOR if theory.is_minor(mode) else theory.PROGRESSIONS_MAJOR
    progs = {name: list(prog_family[int(rng.integers(0, len(prog_family)))]) for name in
             ("intro", "verse", "prechorus", "chorus", "solo", "bridge")}
    chord_beats = {name: float(rng.choice([2.0, 4.0, 4.0, 8.0])) for name in progs}

    def chord_root(sec_name: str, beat_in_sec: float) -> int:
        prog = progs[sec_name]
        deg = prog[int(beat_in_sec // chord_beats[sec_name]) % len(prog)]
        return theory.chord(mode, deg, tonic)[0]

    soft_verse = rng.random() < 0.25  # verses on clean guitar, distortion only from the pre-chorus
    cross_stick = soft_verse and rng.random() < 0.5

    # ---- drums ---------------------------------------------------------------
    kit = make_kit(rng, sr, "acoustic")
    kick_v = str(rng.choice(ROCK_KICKS))
    kick_c = str(rng.choice(ROCK_KICKS))
    hat_v = str(rng.choice(ROCK_HATS))
    cymbal_c = str(rng.choice(["hat_open", "ride", "hat", "crash"], p=[0.3, 0.35, 0.25, 0.1]))
    ev = []
    for sec in sections:
        if sec.name == "intro" and intro_kind in ("riff", "clean"):
            continue
        half = sec.name == "bridge" and rng.random() < 0.5
        for bar_i, bar in enumerate(np.arange(sec.start_beat, sec.end_beat - 1e-6, 4.0)):
            loud = sec.name in ("chorus", "solo")
            kp = kick_c if loud else kick_v
            sp = "........x......." if half else "....x.......x..."
            if rng.random() < 0.3:
                sp = sp[:14] + "o" + sp[15]
            fill = (bar_i % 4 == 3 and rng.random() < 0.6) or bar + 4 >= sec.end_beat - 1e-6
            if fill:
                kp = kp[:8] + "........"
                sp = sp[:8] + "........"
            ev += grid_events(tm, bar, 4, kp, 4, "kick", rng, vel=1.0, swing=swing, jitter_s=0.004)
            snare = "rim" if (cross_stick and sec.name == "verse") else "snare"
            ev += grid_events(tm, bar, 4, sp, 4, snare, rng, vel=1.0, swing=swing, jitter_s=0.004)
            cym = cymbal_c if loud else "hat"
            cp = "x.x.x.x.x.x.x.x." if loud else hat_v
            ev += grid_events(tm, bar, 4 if not fill else 2, cp, 4, cym, rng, vel=0.6, swing=swing, jitter_s=0.004,
                              vel_jitter=0.2)
            if bar == sec.start_beat and sec.name != "verse":
                ev.append((float(tm.time(bar)), "crash", 0.9))
            if fill:
                toms = ["snare", "tom_hi", "tom_mid", "tom_lo"] if rng.random() < 0.6 else ["snare"] * 4
                steps = int(rng.choice([4, 8]))
                for k in range(steps):
                    b = bar + 2 + k * (2.0 / steps)
                    ev.append((float(tm.time(b)) + rng.normal(0, 0.004), toms[min(3, k * 4 // steps)],
                               rng.uniform(0.6, 1.0)))
    mixer.add("drums", kit.render(ev, n, sr, rng), rng.uniform(-5, 0))

    # ---- guitars and bass ---------------------------------------------------------
    clean_src = Plucked.random(rng, "clean_electric", sr)
    rhythm_parts: list[list[Note]] = [[], []]
    bass_notes: list[Note] = []
    clean_notes: list[Note] = []
    chug_dur = 60 / bpm / 2
    palm = rng.random() < 0.7
    for sec in sections:
        if sec.name == "intro" and intro_kind in ("clean", "drums"):
            continue
        tacet = sec.name == "bridge" and rng.random() < 0.5
        for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 0.5):
            root = chord_root(sec.name, b - sec.start_beat)
            rel = b - sec.start_beat
            t0 = float(tm.time(b))
            loud = sec.name in ("chorus", "solo", "prechorus") or (sec.name == "intro" and intro_kind != "riff")
            if tacet:
                continue
            if loud:
                if rel % chord_beats[sec.name] < 1e-6 or rng.random() < 0.25:
                    length = float(tm.time(b + min(chord_beats[sec.name], 4.0))) - t0
                    for part in rhythm_parts:
                        part += [Note(t0 + j * 0.008, length * 0.95, float(root + 12 + iv), 0.9)
                                 for j, iv in enumerate((0, 7, 12))]
            elif soft_verse and sec.name in ("verse", "bridge"):
                pass
            else:
                pm = palm and rng.random() < 0.9
                for part in rhythm_parts:
                    part += [Note(t0, chug_dur * (0.45 if pm else 0.9), float(root + 12 + iv), 0.7 if pm else 0.85)
                             for iv in ((0, 7) if pm else (0, 7, 12))]
            if sec.name != "intro" or intro_kind == "band":
                bass_notes.append(Note(t0, chug_dur * 0.9, float(root), 0.9 if rel % 1 == 0 else 0.75))
    for sec in sections:
        if (sec.name == "intro" and intro_kind == "clean") or (
                sec.name in ("verse", "bridge") and (soft_verse or rng.random() < 0.3)):
            for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 0.5):
                root = chord_root(sec.name, b - sec.start_beat)
                ch = theory.chord(mode, int(np.argmin([abs(theory.chord(mode, d, tonic)[0] - root) for d in range(7)])),
                                  tonic + 24)
                clean_notes.append(Note(float(tm.time(b)), 60 / bpm, float(ch[int(rng.integers(0, 3))]), 0.7))
    gain = rng.uniform(18, 40)
    for i, part in enumerate(rhythm_parts):
        if i == 1 and rng.random() < 0.4:
            continue
        src = Plucked.random(rng, "clean_electric", sr)
        jitter = [nt._replace(start=nt.start + rng.normal(0, 0.006)) for nt in part]
        dist = amp_sim(src.render(jitter, n, sr, rng), sr, rng, gain + rng.uniform(-4, 4))
        mixer.add(f"guitar{i + 1}", dist, rng.uniform(-6, -1))
    if clean_notes:
        mixer.add("clean", clean_src.render(clean_notes, n, sr, rng), rng.uniform(-10, -4))
    if rng.random() < 0.3:
        ac = Plucked.random(rng, "guitar", sr)
        strums = []
        for sec in sections:
            if sec.name in ("verse", "chorus", "bridge"):
                for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 1.0):
                    root = chord_root(sec.name, b - sec.start_beat)
                    strums += [Note(float(tm.time(b)) + j * 0.01, 60 / bpm, float(root + 24 + iv), 0.6)
                               for j, iv in enumerate((0, 7, 12, 16 if not theory.is_minor(mode) else 15))]
        mixer.add("acoustic", ac.render(strums, n, sr, rng), rng.uniform(-14, -6))
    bass = Bass.random(rng, str(rng.choice(["finger", "pick"])))
    if bass_notes:
        mixer.add("bass", bass.render(bass_notes, n, sr, rng), rng.uniform(-8, -2))

    # ---- lead guitar --------------------------------------------------------------
    lead_notes = []
    lp = theory.pitches_in_range(tonic + 24, theory.SCALES["minor pentatonic"] if theory.is_minor(mode) else mode,
                                 tonic + 31, tonic + 55)
    lw = theory.pitch_weights(lp, tonic, mode)
    for sec in sections:
        if sec.name == "solo" or (sec.name == "intro" and intro_kind == "riff"):
            spb = int(rng.choice([2, 4]))
            line = grid_line(rng, tm, sec.start_beat, sec.n_beats, lp, lw, spb, density=rng.uniform(0.5, 0.9),
                             vel=0.9, legato=0.95, motif_len=None if sec.name == "solo" else 8 * spb)
            lead_notes += [nt._replace(glide=float(rng.choice([0, 0, 0, 2, 1, -1]))) for nt in line]
    if lead_notes:
        lg = LegatoInstrument.random(rng, "lead", sr)
        lg.vib_cents = rng.uniform(10, 40)
        mixer.add("lead_guitar", amp_sim(lg.render(lead_notes, n, sr, rng), sr, rng, gain + 6), rng.uniform(-5, 0))

    # ---- vocals -------------------------------------------------------------------
    singer = Singer.random(rng, female=bool(rng.random() < 0.2))
    singer.grit = max(singer.grit, rng.uniform(0.0, 1.5))
    singer.vib_cents *= 0.6
    vtonic = singer.low + int(rng.integers(2, 6))
    vp = theory.pitches_in_range(vtonic, mode, vtonic - 3, vtonic + 10)
    cp = theory.pitches_in_range(vtonic, mode, vtonic + 3, vtonic + 15)
    vocal: list[Note] = []
    hooks: dict[str, np.ndarray] = {}
    for sec in sections:
        if sec.name not in ("verse", "chorus", "prechorus", "bridge"):
            continue
        pitches = cp if sec.name == "chorus" else vp
        weights = theory.pitch_weights(pitches, vtonic, mode)
        for b in np.arange(sec.start_beat, sec.end_beat - 7.99, 8.0):
            motif = hooks.get(sec.name) if sec.name == "chorus" and rng.random() < 0.8 else None
            line = sung_phrase(rng, tm, b + float(rng.choice([0.0, 0.5])), rng.uniform(5.0, 7.5), pitches, weights,
                               vtonic, mode, steps_per_beat=2, syllable_steps=(1, 1, 1, 2, 2, 3, 4), melisma=0.06,
                               hold=rng.uniform(0.1, 0.3), vel=0.7 + 0.3 * sec.energy, motif=motif)
            hooks.setdefault(sec.name, np.array([nt.midi for nt in line]))
            vocal += line
    mixer.add("vocal", render_voice(vocal, n, sr, rng, singer), rng.uniform(-2, 1))
    if rng.random() < 0.35:  # double-tracked / harmony vocal in choruses
        chorus_lines = [nt for nt in vocal if any(s.name == "chorus" and tm.time(s.start_beat) <= nt.start <
                                                  tm.time(s.end_beat) for s in sections)]
        if chorus_lines:
            s2 = Singer.random(rng, female=bool(rng.random() < 0.3))
            harm = [nt._replace(midi=nt.midi + float(rng.choice([0, 0, 3, 4, 7])), start=nt.start + rng.normal(0, 0.01))
                    for nt in chorus_lines]
            mixer.add("harmony", render_voice(harm, n, sr, rng, s2, breaths=False), rng.uniform(-9, -4))

    # ---- extras ---------------------------------------------------------------------
    if rng.random() < 0.2:
        keys = Keys.random(rng, str(rng.choice(["organ", "piano", "pad", "strings"])))
        kn = []
        for sec in sections:
            for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 4.0):
                root = chord_root(sec.name, b - sec.start_beat)
                t0, t1 = float(tm.time(b)), float(tm.time(b + 4))
                kn += [Note(t0, t1 - t0, float(root + 24 + iv), 0.5) for iv in (0, 7, 12)]
        mixer.add("keys", keys.render(kn, n, sr, rng), rng.uniform(-14, -6))
    if sufi and rng.random() < 0.6:
        tabla = make_tabla(rng, float(dsp.midi_to_hz(tonic + 24)), sr)
        tev = []
        for sec in sections:
            if sec.name in ("verse", "bridge", "intro"):
                tev += taal_events(tm, sec.start_beat, sec.n_beats, TAALS["keherwa"], rng, vel=0.8)
        if tev:
            mixer.add("tabla", tabla.render(tev, n, sr, rng), rng.uniform(-12, -5))
        if rng.random() < 0.5:
            h = Harmonium.random(rng)
            mixer.add("harmonium", h.render([nt._replace(start=nt.start + 0.05) for nt in vocal], n, sr, rng),
                      rng.uniform(-14, -7))
    out = mixer.mix
    if intro_kind in ("clean", "riff") and sections and sections[0].name == "intro":
        k = int(float(tm.time(sections[0].end_beat)) * sr)
        if 0 < k < n:
            out[:k] *= float(dsp.db_to_gain(rng.uniform(-10, -2)))
    return out
