"""Qawwali arranger: an accelerating Sufi performance with claps, dholak/tabla, harmonium and chorus.

Recipe (DESIGN.md "Genre cues"): a free-time alap (harmonium prelude and the
lead singer's aakar), then the rhythm enters and never stops for long: a
group hand-clapping on the beat throughout (the rhythmic drone), dholak and
tabla driving a keherwa/qawwali/dadra theka, harmoniums doubling the singer
and playing riffs between lines, the lead singing a line and the chorus
answering it (call and response), fast taans, and tempo that builds from
~85-115 BPM by 15-50 % in steps. Occasional breaks drop to a sung alap.
"""

from __future__ import annotations

import numpy as np

from training.synth import dsp, theory
from training.synth.genres.common import (Mixer, chances, fill_line, grid_line, quiet_intro, shadow, sung_phrase,
                                          theka_over)
from training.synth.notes import Note
from training.synth.percussion import make_claps, make_dholak, make_kit, make_tabla
from training.synth.rhythm import CLAP_PATTERNS, DHOLAK_CHALANS, ROCK_KICKS, TAALS, Taal, grid_events
from training.synth.timeline import TempoMap, plan_sections, tempo_curve
from training.synth.tonal import Bass, Harmonium, LegatoInstrument, Plucked
from training.synth.voice import Singer, render_chorus, render_voice

_RAGAS = ("Bhairavi", "Kafi", "Yaman", "Khamaj", "Bhimpalasi", "Pilu", "Desh", "Darbari", "Malkauns", "Jaunpuri",
          "Pahadi", "Bhairav")


def arrange(rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
    """Compose and render one qawwali (the :class:`~training.synth.genres.common.Arranger` contract)."""
    dur = n / sr
    mixer = Mixer(n, rng, sr)
    lead = Singer.random(rng, female=bool(rng.random() < 0.1))
    lead.grit = max(lead.grit, rng.uniform(0.1, 0.8))
    tonic = lead.low + int(rng.integers(4, 8))
    mode = theory.RAGAS[str(rng.choice(_RAGAS))]
    low_p, low_w = theory.pitch_set(tonic, mode, tonic - 3, tonic + 10)
    high_p, high_w = theory.pitch_set(tonic, mode, tonic + 2, tonic + 16)
    harm_p, harm_w = theory.pitch_set(tonic, mode, tonic, tonic + 19)

    has = chances(rng, {"dholak": 0.7, "tabla": 0.8, "harmonium2": 0.45, "chorus": 0.95, "sarangi": 0.12,
                        "banjo": 0.1, "modern": 0.12})
    if not (has["dholak"] or has["tabla"]):
        has[str(rng.choice(["dholak", "tabla"]))] = True

    # ---- time plan -------------------------------------------------------
    intro_s = float(min(rng.uniform(12, 45), 0.4 * dur))
    taal = TAALS[str(rng.choice(["qawwali", "keherwa", "keherwa2", "dadra", "teentaal"],
                                p=[0.35, 0.25, 0.1, 0.2, 0.1]))]
    bpm0 = rng.uniform(82, 118) if taal.matras_per_beat != 3 else rng.uniform(60, 85)
    bpm1 = min(bpm0 * rng.uniform(1.1, 1.5), 165.0)
    n_est = int((dur - intro_s) * (bpm0 + bpm1) / 120 * 1.1) + 16
    tm = TempoMap(intro_s, tempo_curve(rng, n_est, bpm0, bpm1, drift=0.01, steps=int(rng.integers(0, 4))))
    total_beats = tm.beat_at(dur)
    cyc = taal.beats
    bar = cyc if cyc >= 3 else cyc * 2
    pattern = [("call", (2, 3), 0.6), ("response", (2, 3), 0.65), ("riff", (1, 2), 0.6), ("antara", (2, 4), 0.75),
               ("response", (2,), 0.8), ("break", (1,), 0.5), ("call", (2,), 0.85), ("response", (2, 3), 0.9),
               ("riff", (1,), 0.85)]
    sections = plan_sections(rng, total_beats, int(round(bar * 2)), pattern, loop_from=3)
    if rng.random() < 0.5:
        sections = [s for s in sections if s.name != "break"] or sections

    # ---- compose ---------------------------------------------------------
    lead_notes: list[Note] = []
    chorus_notes: list[Note] = []
    harm_extra: list[Note] = []
    # Alap: harmonium prelude then aakar.
    t = rng.uniform(0.3, 2.0)
    prelude_end = t + rng.uniform(0.25, 0.6) * intro_s
    while t < prelude_end - 1:
        ln = min(rng.uniform(2, 5), prelude_end - t)
        harm_extra += fill_line(rng, t, t + ln, harm_p, harm_w, rng.uniform(0.15, 0.45), vel=0.6)
        t += ln + rng.uniform(0.2, 1.0)
    while t < intro_s - 2.5:
        ln = min(rng.uniform(3, 8), intro_s - t - 1)
        lead_notes += sung_phrase(rng, None, t, ln, low_p, low_w, tonic, mode, melisma=0.4, hold=0.5, vel=0.75)
        t += ln + rng.uniform(0.5, 2.0)
    hook = None
    last_call: list[Note] = []
    for sec in sections:
        line_beats = bar * 2
        if sec.name in ("call", "antara"):
            pitches, weights = (low_p, low_w) if sec.name == "call" else (high_p, high_w)
            b = sec.start_beat
            while b + line_beats <= sec.end_beat + 1e-6:
                motif = hook if (sec.name == "call" and hook is not None and rng.random() < 0.75) else None
                line = sung_phrase(rng, tm, b, line_beats * rng.uniform(0.7, 0.9), pitches, weights, tonic, mode,
                                   steps_per_beat=2, syllable_steps=(1, 1, 1, 2, 2, 3), melisma=0.25,
                                   taan=0.05 + 0.25 * sec.energy if sec.name == "antara" else 0.05,
                                   hold=rng.uniform(0.1, 0.25), vel=0.6 + 0.4 * sec.energy, motif=motif)
                if hook is None:
                    hook = np.array([nt.midi for nt in line if nt.dur > 0.12])
                lead_notes += line
                last_call = line
                b += line_beats
        elif sec.name == "response":
            b = sec.start_beat
            src = last_call or sung_phrase(rng, tm, b, line_beats * 0.8, low_p, low_w, tonic, mode, steps_per_beat=2)
            t_src = src[0].start if src else 0.0
            b0 = float(tm.beat_at(t_src)) if src else b
            while b + line_beats <= sec.end_beat + 1e-6:
                shift = float(tm.time(b)) - float(tm.time(b0))
                line = [nt._replace(start=nt.start + shift * 1.0, vel=0.6 + 0.4 * sec.energy) for nt in src]
                line = [nt for nt in line if nt.start < float(tm.time(b + line_beats))]
                chorus_notes += line
                if rng.random() < 0.35:  # lead ad-libs over the chorus
                    lead_notes += sung_phrase(rng, tm, b + line_beats * 0.5, line_beats * 0.45, high_p, high_w,
                                              tonic, mode, steps_per_beat=4, melisma=0.3, taan=0.3, vel=0.6)
                b += line_beats
        elif sec.name == "riff":
            harm_extra += grid_line(rng, tm, sec.start_beat, sec.n_beats, harm_p, harm_w, int(rng.choice([2, 4])),
                                    density=rng.uniform(0.7, 1.0), vel=0.9, motif_len=int(bar * 2))
        else:  # break: free alap over a drone
            t0, t1 = float(tm.time(sec.start_beat)), float(tm.time(sec.end_beat))
            lead_notes += sung_phrase(rng, None, t0 + 0.3, max(1.0, t1 - t0 - 0.8), high_p, high_w, tonic, mode,
                                      melisma=0.5, hold=0.5, vel=0.8)
    rhythm_secs = [s for s in sections if s.name != "break"]

    # ---- render ----------------------------------------------------------
    mixer.add("lead", render_voice(lead_notes, n, sr, rng, lead), 0.0)
    if has["chorus"] and chorus_notes:
        mixer.add("chorus", render_chorus(chorus_notes, n, sr, rng, int(rng.choice([2, 2, 3])), spread_s=0.025),
                  rng.uniform(-4, 1))
    harm = Harmonium.random(rng)
    hnotes = shadow(rng, lead_notes + chorus_notes, rng.uniform(0.03, 0.15), vel=0.8) + harm_extra
    for sec in sections:
        t0, t1 = float(tm.time(sec.start_beat)), float(tm.time(sec.end_beat))
        hnotes.append(Note(t0, t1 - t0, float(tonic - 12), 0.3))
    mixer.add("harmonium", harm.render(hnotes, n, sr, rng), rng.uniform(-7, -1))
    if has["harmonium2"]:
        h2 = Harmonium.random(rng)
        mixer.add("harmonium2", h2.render(shadow(rng, lead_notes + chorus_notes, rng.uniform(0.05, 0.2), octave=-1)
                                          + harm_extra, n, sr, rng), rng.uniform(-12, -5))
    # Claps: the sustained rhythmic drone.
    claps = make_claps(rng, sr, int(rng.integers(4, 14)), rng.uniform(0.006, 0.03))
    cev = []
    base_pat = str(rng.choice(CLAP_PATTERNS[:5]))
    for sec in rhythm_secs:
        pat = base_pat if sec.energy < 0.8 or rng.random() < 0.5 else str(rng.choice(CLAP_PATTERNS))
        spb = 2 if taal.matras_per_beat != 3 else 3
        if spb == 3:
            pat = str(rng.choice(["x..x..", "x.xx.x", "x..x.x", "xxxxxx"]))
        cev += grid_events(tm, sec.start_beat, sec.n_beats, pat, spb, "clap", rng, vel=0.7 + 0.3 * sec.energy,
                           jitter_s=0.006)
    mixer.add("claps", claps.render(cev, n, sr, rng), rng.uniform(-9, -2))
    if has["tabla"]:
        tabla = make_tabla(rng, float(dsp.midi_to_hz(tonic)), sr)
        ev = theka_over(rng, tm, rhythm_secs, taal, vel=0.7, swell=0.3, variation=(0.2, 0.45), fill_prob=0.3)
        mixer.add("tabla", tabla.render(ev, n, sr, rng), rng.uniform(-10, -3))
    if has["dholak"]:
        dholak = make_dholak(rng, sr)
        chalan = DHOLAK_CHALANS[int(rng.integers(0, len(DHOLAK_CHALANS)))]
        mpb = taal.matras_per_beat if taal.matras_per_beat != 4 else 2
        dtaal = Taal("dholak", chalan if mpb == 2 else ("dha", "-", "ta", "ge", "ta", "-"), mpb)
        ev = theka_over(rng, tm, rhythm_secs, dtaal, vel=0.7, swell=0.3, variation=0.25, fill_prob=0.25,
                        alt={"dha": ("dha", "ge"), "ta": ("ta", "ti", "na"), "ge": ("ge", "ka", "dha")})
        mixer.add("dholak", dholak.render(ev, n, sr, rng), rng.uniform(-8, -2))
    if has["sarangi"]:
        sar = LegatoInstrument.random(rng, "sarangi", sr)
        mixer.add("sarangi", sar.render(shadow(rng, lead_notes, rng.uniform(0.1, 0.25), simplify=0.15), n, sr, rng),
                  rng.uniform(-12, -5))
    if has["banjo"]:
        banjo = Plucked.random(rng, "banjo", sr)
        bn = [Note(nt.start + k * 0.09, 0.09, nt.midi + 12, nt.vel) for nt in harm_extra
              for k in range(max(1, int(nt.dur / 0.09)))]
        if bn:
            mixer.add("banjo", banjo.render(bn, n, sr, rng), rng.uniform(-12, -5))
    if has["modern"]:
        kit = make_kit(rng, sr, "acoustic")
        ev = []
        kick = str(rng.choice(ROCK_KICKS))
        for sec in rhythm_secs:
            if sec.energy < 0.6:
                continue
            ev += grid_events(tm, sec.start_beat, sec.n_beats, kick, 4, "kick", rng, vel=0.9)
            ev += grid_events(tm, sec.start_beat, sec.n_beats, "....x.......x...", 4, "snare", rng, vel=0.8)
            ev += grid_events(tm, sec.start_beat, sec.n_beats, "x.x.x.x.x.x.x.x.", 4, "hat", rng, vel=0.5)
        if ev:
            mixer.add("kit", kit.render(ev, n, sr, rng), rng.uniform(-12, -5))
        bass = Bass.random(rng, "finger")
        bnotes = [Note(float(tm.time(b)), float(tm.time(b + 1) - tm.time(b)) * 0.8, float(tonic - 24), 0.8)
                  for sec in rhythm_secs for b in np.arange(sec.start_beat, sec.end_beat, 1.0)]
        mixer.add("bass", bass.render(bnotes, n, sr, rng), rng.uniform(-12, -6))
    out = mixer.mix
    k = int(intro_s * sr)
    if k > 0:
        quiet_intro(out, k, rng.uniform(-14, -3), int(1.5 * sr))
    return out
