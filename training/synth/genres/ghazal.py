"""Ghazal arranger: slow, mellow sung poetry over harmonium, tabla and string ornaments.

Recipe (DESIGN.md "Genre cues"): a raga-based melody sung expressively
(melisma, meend, andolan, vibrato) in couplets, a harmonium shadowing the
voice and holding a drone, a soft tabla theka (dadra, keherwa, rupak,
deepchandi) at a slow laya, and sarangi / sitar / santur / bansuri / rabab
answering the singer between lines. Songs open with a quiet free-time alap
or a near-silent drone; a few are entirely rubato (no percussion); some are
"film ghazals" with strings, guitar and bass.
"""

from __future__ import annotations

import numpy as np

from training.synth import dsp, theory
from training.synth.genres.common import (Mixer, chances, fill_line, gaps, grid_line, pick_weighted, quiet_intro,
                                          shadow, sung_phrase, theka_over)
from training.synth.notes import Note
from training.synth.percussion import make_tabla
from training.synth.rhythm import TAALS
from training.synth.timeline import TempoMap, plan_sections, tempo_curve
from training.synth.tonal import Bass, Harmonium, Keys, LegatoInstrument, Plucked
from training.synth.voice import Singer, render_voice

_RAGAS = ("Yaman", "Bhairavi", "Kafi", "Darbari", "Bhairav", "Khamaj", "Pahadi", "Bhimpalasi", "Desh",
          "Bageshri", "Malkauns", "Bhupali", "Pilu", "Jaunpuri", "Todi")
_TAALS = (("dadra", 0.38), ("keherwa", 0.27), ("keherwa2", 0.12), ("rupak", 0.15), ("deepchandi", 0.08))


def arrange(rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
    """Compose and render one ghazal (the :class:`~training.synth.genres.common.Arranger` contract)."""
    dur = n / sr
    mixer = Mixer(n, rng, sr)
    singer = Singer.random(rng, female=bool(rng.random() < 0.35))
    tonic = singer.low + int(rng.integers(3, 7))
    if rng.random() < 0.1:
        mode = theory.SCALES[str(rng.choice(["minor", "major", "harmonic minor", "dorian"]))]
    else:
        mode = theory.RAGAS[str(rng.choice(_RAGAS))]
    low_p, low_w = theory.pitch_set(tonic, mode, tonic - 5, tonic + 9)
    high_p, high_w = theory.pitch_set(tonic, mode, tonic, tonic + 15)
    inst_p, inst_w = theory.pitch_set(tonic, mode, tonic + 5, tonic + 26)

    rubato = rng.random() < 0.08
    has = chances(rng, {"harmonium": 0.8, "tabla": 0.0 if rubato else 0.9, "sarangi": 0.45, "sitar": 0.3,
                        "santur": 0.25, "rabab": 0.12, "bansuri": 0.25, "violin": 0.12, "tanpura": 0.35,
                        "strings": 0.15, "guitar": 0.12, "bass": 0.15})
    if not any(has[k] for k in ("harmonium", "sarangi", "sitar", "santur", "bansuri", "violin", "guitar")):
        has["harmonium"] = True
    soloists = [k for k in ("sarangi", "sitar", "santur", "bansuri", "violin", "harmonium", "rabab") if has[k]]

    # ---- time plan -------------------------------------------------------
    intro_s = float(min(rng.uniform(8, 42), 0.45 * dur))
    taal = TAALS[pick_weighted(rng, _TAALS)]
    bpm = rng.uniform(48, 72) if taal.matras_per_beat == 3 else rng.uniform(60, 92)
    if taal.name in ("rupak", "deepchandi"):
        bpm = rng.uniform(70, 105)
    n_est = int((dur - intro_s) * bpm / 60 * 1.2) + 16
    tm = TempoMap(intro_s, tempo_curve(rng, n_est, bpm, bpm * rng.uniform(0.97, 1.1), drift=rng.uniform(0.005, 0.03)))
    total_beats = tm.beat_at(dur)
    cyc = taal.beats
    line_cycles = max(1, int(round(rng.uniform(4.0, 8.0) / (cyc * 60 / bpm))))
    pattern = [("sthayi", (2, 3), 0.5), ("interlude", (1, 2), 0.45), ("antara", (2, 3), 0.65),
               ("sthayi", (1,), 0.55), ("interlude", (1, 2), 0.45)]
    sections = plan_sections(rng, total_beats, int(round(line_cycles * cyc)) or 1, pattern, loop_from=1)

    # ---- compose ---------------------------------------------------------
    vocal: list[Note] = []
    solo_lines: dict[str, list[Note]] = {k: [] for k in soloists}
    intro_kind = str(rng.choice(["voice", "solo", "solo", "drone", "silence"])) if soloists else "voice"
    if intro_kind == "voice":
        t = rng.uniform(0.5, 3.0)
        while t < intro_s - 3:
            ln = min(rng.uniform(3, 8), intro_s - t - 1)
            vocal += sung_phrase(rng, None, t, ln, low_p, low_w, tonic, mode, melisma=0.4, hold=0.45, vel=0.6)
            t += ln + rng.uniform(1.0, 3.0)
    elif intro_kind == "solo":
        who = str(rng.choice(soloists))
        t = rng.uniform(0.5, 2.0)
        while t < intro_s - 2:
            ln = min(rng.uniform(2, 6), intro_s - t - 0.5)
            solo_lines[who] += fill_line(rng, t, t + ln, inst_p, inst_w, rng.uniform(0.25, 0.7), vel=0.6)
            t += ln + rng.uniform(0.5, 2.5)
    if intro_kind == "drone" and not has["harmonium"]:
        has["tanpura"] = True
    refrain = None
    for sec in sections:
        if sec.name in ("sthayi", "antara"):
            pitches, weights = (low_p, low_w) if sec.name == "sthayi" else (high_p, high_w)
            b = sec.start_beat
            line_beats = line_cycles * cyc
            while b + line_beats <= sec.end_beat + 1e-6:
                sing = line_beats - cyc * rng.uniform(0.3, 0.6) * max(1.0, line_cycles / 2)
                motif = refrain if (sec.name == "sthayi" and refrain is not None and rng.random() < 0.7) else None
                line = sung_phrase(rng, tm, b, sing, pitches,
                                   weights, tonic, mode, steps_per_beat=taal.matras_per_beat,
                                   syllable_steps=(1, 1, 2, 2, 3, 4, 6), melisma=rng.uniform(0.2, 0.5),
                                   taan=0.03, hold=rng.uniform(0.15, 0.35), vel=sec.energy + 0.3, motif=motif)
                if refrain is None and sec.name == "sthayi":
                    refrain = np.array([nt.midi for nt in line])
                vocal += line
                b += line_beats
        elif soloists:
            who = str(rng.choice(soloists))
            spb = int(rng.choice([2, 4])) if taal.matras_per_beat == 2 else 3
            solo_lines[who] += grid_line(rng, tm, sec.start_beat, sec.n_beats, inst_p, inst_w, spb,
                                         density=rng.uniform(0.5, 0.9), vel=0.7, motif_len=int(cyc * spb))
    rhythm_start = intro_s
    # Answers between vocal lines.
    if soloists:
        for a, b in gaps(vocal, rhythm_start, dur, 1.2):
            if rng.random() < 0.75:
                who = str(rng.choice(soloists))
                solo_lines[who] += fill_line(rng, a + 0.1, b - 0.1, inst_p, inst_w, rng.uniform(0.15, 0.5), vel=0.65)

    # ---- render ----------------------------------------------------------
    mixer.add("voice", render_voice(vocal, n, sr, rng, singer), 0.0)
    if has["harmonium"]:
        harm = Harmonium.random(rng)
        hnotes = shadow(rng, [v for v in vocal if v.start >= rhythm_start or rng.random() < 0.5],
                        rng.uniform(0.05, 0.25), vel=0.7) + solo_lines.get("harmonium", [])
        if rng.random() < 0.6:
            for sec in sections:
                t0, t1 = float(tm.time(sec.start_beat)), float(tm.time(sec.end_beat))
                for p in (tonic - 12, tonic - 5):
                    hnotes.append(Note(t0, t1 - t0, float(p), 0.35))
        if intro_kind == "drone":
            hnotes += [Note(0.3, intro_s, float(tonic - 12), 0.4), Note(0.3, intro_s, float(tonic - 5), 0.35)]
        mixer.add("harmonium", harm.render(hnotes, n, sr, rng), rng.uniform(-10, -3))
    if has["tabla"]:
        tabla = make_tabla(rng, float(dsp.midi_to_hz(tonic)), sr)
        ev = theka_over(rng, tm, sections, taal, vel=0.55, swell=0.4, variation=(0.1, 0.35), fill_prob=0.15)
        mixer.add("tabla", tabla.render(ev, n, sr, rng), rng.uniform(-14, -5))
    for name in ("sarangi", "violin", "bansuri"):
        if has[name]:
            inst = LegatoInstrument.random(rng, name, sr)
            line = solo_lines.get(name, [])
            if name != "bansuri" and rng.random() < 0.6:
                line = line + shadow(rng, vocal, rng.uniform(0.1, 0.3), simplify=0.15,
                                     octave=int(rng.choice([0, 1])), vel=0.55)
            if line:
                mixer.add(name, inst.render(line, n, sr, rng), rng.uniform(-11, -3))
    for name in ("sitar", "santur", "rabab"):
        if has[name] and solo_lines.get(name):
            inst = Plucked.random(rng, name, sr)
            line = solo_lines[name]
            if name == "santur":  # tremolo: repeat each note quickly
                line = [Note(nt.start + k * 0.07, 0.07, nt.midi, nt.vel * (0.7 + 0.3 * (k == 0)))
                        for nt in line for k in range(max(1, int(nt.dur / 0.07)))]
            elif name == "sitar":
                line = [nt._replace(glide=float(rng.choice([0, 0, 0, 1, 2, -1]))) for nt in line]
            mixer.add(name, inst.render(line, n, sr, rng), rng.uniform(-12, -4))
    if has["tanpura"]:
        tan = Plucked.random(rng, "tanpura", sr)
        period = rng.uniform(1.2, 2.4)
        pitches = [tonic - 5, tonic, tonic, tonic - 12]
        notes = [Note(float(t), period, float(pitches[i % 4]), 0.6) for i, t in
                 enumerate(np.arange(rng.uniform(0, 1), dur, period / 4))]
        mixer.add("tanpura", tan.render(notes, n, sr, rng), rng.uniform(-22, -12))
    chords_needed = has["strings"] or has["guitar"] or has["bass"]
    if chords_needed:
        prog = (theory.PROGRESSIONS_MINOR if theory.is_minor(mode) else theory.PROGRESSIONS_MAJOR)
        prog = prog[int(rng.integers(0, len(prog)))]
        bar = cyc * max(1, int(round(2 / cyc)))
        chord_ev = []
        b = 0.0
        i = 0
        while b < total_beats:
            chord_ev.append((b, theory.chord(mode, prog[i % len(prog)], tonic - 12)))
            b += bar
            i += 1
        if has["strings"]:
            k = Keys.random(rng, "strings")
            notes = [Note(float(tm.time(b)), float(tm.time(b + bar) - tm.time(b)), float(p + 12), 0.5)
                     for b, ch in chord_ev for p in ch]
            mixer.add("strings", k.render(notes, n, sr, rng), rng.uniform(-16, -8))
        if has["guitar"]:
            g = Plucked.random(rng, "guitar", sr)
            notes = []
            for b, ch in chord_ev:
                for s in np.arange(0, bar, 1.0 / taal.matras_per_beat * 2):
                    for j, p in enumerate(ch + [ch[0] + 12]):
                        notes.append(Note(float(tm.time(b + s)) + j * 0.012, 0.5, float(p), 0.5))
            mixer.add("guitar", g.render(notes, n, sr, rng), rng.uniform(-16, -8))
        if has["bass"]:
            bs = Bass.random(rng, str(rng.choice(["finger", "sub"])))
            notes = [Note(float(tm.time(b)), float(tm.time(b + bar) - tm.time(b)) * 0.9, float(ch[0] - 12), 0.8)
                     for b, ch in chord_ev]
            mixer.add("bass", bs.render(notes, n, sr, rng), rng.uniform(-14, -7))
    out = mixer.mix
    # Mellow, near-silent intros.
    k = int(intro_s * sr)
    if k > 0:
        quiet_intro(out, k, rng.uniform(-18, -4) if intro_kind != "silence" else -40, int(2 * sr))
    return out
