"""Hip-hop arranger: drum machine, bass/808, a looped sample or synth, and rapped verses.

Recipe (DESIGN.md "Genre cues"): a boom-bap (78-100 BPM, swung sixteenths,
kick/snare backbeat, lowpassed sampled loop) or trap beat (125-155 BPM drum
grid with a half-time snare, 808 bass with slides, sixteenth hats with
32nd/triplet rolls) from the first bar; rhythmic rhyming speech in verses,
a sung or chanted hook, ad-libs, occasional turntable scratches; loops of
electric piano, piano, strings, organ, pads, bells or a desi sample
(sitar, sarangi, harmonium, bansuri).
"""

from __future__ import annotations

import numpy as np

from training.synth import dsp, effects, theory
from training.synth.genres.common import Mixer, grid_line, pick_weighted, rap_bars, sung_phrase
from training.synth.notes import Note
from training.synth.percussion import make_kit, make_tabla
from training.synth.rhythm import BOOMBAP_KICKS, TAALS, TRAP_KICKS, grid_events, taal_events
from training.synth.timeline import TempoMap, plan_sections, tempo_curve
from training.synth.tonal import Bass, Harmonium, Keys, LegatoInstrument, Plucked
from training.synth.voice import Singer, render_voice

_MODES = (("minor", 0.3), ("minor pentatonic", 0.12), ("dorian", 0.1), ("phrygian", 0.08), ("harmonic minor", 0.1),
          ("major", 0.08), ("blues", 0.07), ("Bhairavi", 0.06), ("Kafi", 0.05), ("mixolydian", 0.04))


def _steps_to_events(pattern: str, vel: float = 1.0) -> list[tuple[int, float]]:
    vmap = {"X": 1.0, "x": 0.8, "o": 0.4}
    return [(i, vel * vmap[c]) for i, c in enumerate(pattern) if c in vmap]


def arrange(rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
    """Compose and render one hip-hop track (the :class:`~training.synth.genres.common.Arranger` contract)."""
    dur = n / sr
    mixer = Mixer(n, rng, sr)
    trap = rng.random() < 0.45
    bpm = rng.uniform(125, 155) if trap else (rng.uniform(78, 100) if rng.random() < 0.9 else rng.uniform(68, 78))
    swing = 0.5 if trap else rng.uniform(0.5, 0.64)
    mname = pick_weighted(rng, _MODES)
    mode = theory.SCALES.get(mname) or theory.RAGAS[mname]
    tonic = int(rng.integers(33, 45))
    start_s = min(rng.uniform(0.0, 0.6) if rng.random() < 0.8 else rng.uniform(1.0, 4.0), 0.1 * dur)
    tm = TempoMap(start_s, tempo_curve(rng, int(dur * bpm / 60) + 16, bpm))
    total_beats = tm.beat_at(dur)
    pattern = [("intro", (1, 2, 4), 0.4), ("verse", (8, 12, 16), 0.7), ("hook", (4, 8), 0.85),
               ("verse", (8, 12, 16), 0.7), ("hook", (4, 8), 0.9), ("bridge", (2, 4), 0.5)]
    if rng.random() < 0.2:
        pattern[0] = ("verse", (8,), 0.65)  # starts straight away with the rap
    sections = plan_sections(rng, total_beats, 4, pattern, loop_from=1)

    prog = (theory.PROGRESSIONS_MINOR if theory.is_minor(mode) else theory.PROGRESSIONS_MAJOR)
    prog = list(prog[int(rng.integers(0, len(prog)))])
    if rng.random() < 0.3:
        prog = prog[:2]
    bars_per_chord = int(rng.choice([1, 1, 2])) * (2 if trap else 1)
    chord_beats = 4 * bars_per_chord

    def chord_at(beat: float) -> list[int]:
        return theory.chord(mode, prog[int(beat // chord_beats) % len(prog)], tonic + 12, size=int(rng.choice([3, 4])))

    # ---- drums -----------------------------------------------------------
    kit = make_kit(rng, sr, "trap" if trap else ("boombap" if rng.random() < 0.7 else "machine"))
    kick_pats = TRAP_KICKS if trap else BOOMBAP_KICKS
    kick_a = str(rng.choice(kick_pats))
    kick_b = str(rng.choice(kick_pats))
    snare_name = str(rng.choice(["snare", "clap", "snare"]))
    if trap:
        snare_pat = "........x......." if rng.random() < 0.8 else "....x.......x..."
        hat_pat = str(rng.choice(["xxxxxxxxxxxxxxxx", "x.x.x.x.x.x.x.x.", "xxx.xxx.xxx.xxxx"]))
    else:
        snare_pat = "....x.......x..." if rng.random() < 0.85 else "....x.......x..o"
        hat_pat = str(rng.choice(["x.x.x.x.x.x.x.x.", "xoxoxoxoxoxoxoxo", "x.xxx.xxx.xxx.xx", "x...x...x...x..."]))
    ev = []
    kick_steps: list[float] = []
    for sec in sections:
        drums_in = not (sec.name == "intro" and rng.random() < 0.4) and not (
            sec.name == "bridge" and rng.random() < 0.4)
        if not drums_in:
            continue
        for bar in np.arange(sec.start_beat, sec.end_beat - 1e-6, 4.0):
            kp = kick_a if (bar // 4) % 2 == 0 else kick_b
            last_bar = bar + 4 >= sec.end_beat - 1e-6
            if last_bar and rng.random() < 0.25:
                kp = kp[:8] + "........"  # drop-out before the next section
            ev += grid_events(tm, bar, 4, kp, 4, "kick", rng, vel=1.0, swing=swing, jitter_s=0.002)
            kick_steps += [bar + (i + (2 * swing - 1) * (i % 2)) / 4 for i, c in enumerate(kp) if c != "."]
            ev += grid_events(tm, bar, 4, snare_pat, 4, snare_name, rng, vel=0.95, swing=swing, jitter_s=0.002)
            hp = hat_pat if sec.energy > 0.45 else "x...x...x...x..."
            ev += grid_events(tm, bar, 4, hp, 4, "hat", rng, vel=0.55, swing=swing, jitter_s=0.003, vel_jitter=0.25)
            if trap:
                for beat in range(4):
                    if rng.random() < 0.22:  # hat roll: 32nds or triplets
                        div = int(rng.choice([8, 6, 12]))
                        for k in range(div // 2):
                            b = bar + beat + 0.5 + k / div
                            ev.append((float(tm.time(b)), "hat", 0.35 + 0.3 * k / max(div // 2, 1)))
            if rng.random() < 0.3:
                ev.append((float(tm.time(bar + 3.5)), "hat_open", 0.5))
            if bar == sec.start_beat and sec.name == "hook" and rng.random() < 0.5:
                ev.append((float(tm.time(bar)), "crash", 0.5))
    mixer.add("drums", kit.render(ev, n, sr, rng), rng.uniform(-5, -1))

    # ---- bass ------------------------------------------------------------
    bass = Bass.random(rng, "808" if trap else str(rng.choice(["synth", "sub", "finger", "808"])))
    bnotes = []
    ks = sorted(kick_steps)
    for i, b in enumerate(ks):
        nxt = ks[i + 1] if i + 1 < len(ks) else b + 1
        length = min(nxt - b, 2.0 if trap else 1.0)
        root = chord_at(b)[0] - 24
        glide = 0.0
        if trap and rng.random() < 0.15:
            glide = float(rng.choice([-5, -7, 5, 7, 12]))
        t0 = float(tm.time(b))
        bnotes.append(Note(t0, max(0.08, float(tm.time(b + length)) - t0), float(root), 0.9, glide=glide))
    if bnotes:
        mixer.add("bass", bass.render(bnotes, n, sr, rng), rng.uniform(-7, -1))

    # ---- loop / sample -----------------------------------------------------
    loop_kind = str(rng.choice(["epiano", "piano", "strings", "organ", "pad", "desi", "bells"],
                               p=[0.2, 0.14, 0.14, 0.08, 0.18, 0.14, 0.12] if not trap else
                               [0.08, 0.12, 0.15, 0.03, 0.27, 0.12, 0.23]))
    loop_beats = chord_beats * len(prog)
    lnotes: list[Note] = []
    if loop_kind in ("epiano", "piano", "organ", "pad", "strings"):
        inst = Keys.random(rng, loop_kind)
        stab = rng.random() < 0.5 and loop_kind in ("epiano", "piano", "organ")
        rhythm = str(rng.choice(["x.....x.........", "x.......x.......", "x..x..x.........", "x..............."]))
        for b in np.arange(0, total_beats, chord_beats):
            ch = chord_at(b)
            if stab:
                for bb in np.arange(b, b + chord_beats, 4.0):
                    for st, v in _steps_to_events(rhythm):
                        t0 = float(tm.time(bb + st / 4))
                        lnotes += [Note(t0, 0.5 * 60 / bpm * 2, float(q), 0.6 * v) for q in ch]
            else:
                t0, t1 = float(tm.time(b)), float(tm.time(b + chord_beats))
                lnotes += [Note(t0, t1 - t0, float(q), 0.5) for q in ch]
        loop = inst.render(lnotes, n, sr, rng)
    elif loop_kind == "bells":
        inst = Plucked.random(rng, str(rng.choice(["clean_electric", "banjo", "santur"])), sr)
        pitches = theory.pitches_in_range(tonic + 12, mode, tonic + 24, tonic + 43)
        weights = theory.pitch_weights(pitches, tonic, mode)
        motif = grid_line(rng, tm, 0, loop_beats, pitches, weights, int(rng.choice([2, 4])), density=0.6, vel=0.6)
        lnotes = [nt._replace(start=nt.start + float(tm.time(b) - tm.time(0))) for b in
                  np.arange(0, total_beats, loop_beats) for nt in motif]
        loop = inst.render(lnotes, n, sr, rng)
    else:  # desi sample: a raga-ish phrase on sitar / sarangi / harmonium / bansuri, looped
        who = str(rng.choice(["sitar", "sarangi", "harmonium", "bansuri"]))
        pitches = theory.pitches_in_range(tonic + 12, mode, tonic + 19, tonic + 40)
        weights = theory.pitch_weights(pitches, tonic, mode)
        motif = grid_line(rng, tm, 0, loop_beats, pitches, weights, 2, density=0.7, vel=0.7)
        lnotes = [nt._replace(start=nt.start + float(tm.time(b) - tm.time(0))) for b in
                  np.arange(0, total_beats, loop_beats) for nt in motif]
        if who == "sitar":
            loop = Plucked.random(rng, "sitar", sr).render(lnotes, n, sr, rng)
        elif who == "harmonium":
            loop = Harmonium.random(rng).render(lnotes, n, sr, rng)
        else:
            loop = LegatoInstrument.random(rng, who, sr).render(lnotes, n, sr, rng)
    if not trap and rng.random() < 0.6:
        loop = dsp.lowpass(loop, rng.uniform(1800, 6000), sr)  # sampler / vinyl loop
    if not trap and rng.random() < 0.2:
        loop = loop + effects.crackle(rng, n, sr, rng.uniform(5, 20)) * (Mixer.playing_level(loop) * 0.05)
    mixer.add("loop", loop, rng.uniform(-12, -5))

    # ---- hook melody and extras ---------------------------------------------
    if rng.random() < 0.4:
        lead = LegatoInstrument.random(rng, str(rng.choice(["lead", "lead", "bansuri", "violin"])), sr)
        pitches = theory.pitches_in_range(tonic + 24, mode, tonic + 24, tonic + 43)
        weights = theory.pitch_weights(pitches, tonic, mode)
        motif = grid_line(rng, tm, 0, 8, pitches, weights, 2, density=0.6, vel=0.7)
        hl = []
        for sec in sections:
            if sec.name == "hook":
                for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 8.0):
                    shift = float(tm.time(b) - tm.time(0))
                    end = float(tm.time(sec.end_beat))
                    hl += [nt._replace(start=nt.start + shift) for nt in motif if nt.start + shift < end]
        if hl:
            mixer.add("lead", lead.render(hl, n, sr, rng), rng.uniform(-12, -5))
    if rng.random() < 0.08:  # desi touch: tabla loop
        tabla = make_tabla(rng, float(dsp.midi_to_hz(tonic + 24)), sr)
        tev = taal_events(tm, 0, total_beats, TAALS["keherwa"], rng, vel=0.7, variation=0.2)
        mixer.add("tabla", tabla.render(tev, n, sr, rng), rng.uniform(-14, -7))

    # ---- vocals ----------------------------------------------------------
    rapper = Singer.random(rng, style="rap")
    rapper2 = Singer.random(rng, style="rap") if rng.random() < 0.3 else rapper
    base = rapper.low + rng.uniform(1, 5)
    raps: list[Note] = []
    raps2: list[Note] = []
    sung: list[Note] = []
    adlibs: list[Note] = []
    hook_singer = Singer.random(rng) if rng.random() < 0.45 else None
    hook_bar: list[Note] | None = None
    vcount = 0
    spb = 2 if trap else 4
    for sec in sections:
        if sec.name == "verse":
            vcount += 1
            triplet = rng.random() < (0.35 if trap else 0.1)
            line = rap_bars(rng, tm, sec.start_beat, sec.n_beats, base, steps_per_beat=spb,
                            density=rng.uniform(0.55, 0.9), triplet=triplet, beats_per_line=4)
            (raps2 if (vcount % 2 == 0 and rapper2 is not rapper) else raps).extend(line)
        elif sec.name == "hook":
            if hook_singer is not None:
                hp = theory.pitches_in_range(hook_singer.low + 5, mode, hook_singer.low + 2, hook_singer.low + 16)
                hw = theory.pitch_weights(hp, tonic, mode)
                for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 8.0):
                    sung += sung_phrase(rng, tm, b, 7.0, hp, hw, tonic + 24, mode, steps_per_beat=2,
                                        syllable_steps=(1, 1, 2, 2, 3), melisma=0.1, hold=0.2, vel=0.8)
            else:
                if hook_bar is None:
                    hook_bar = rap_bars(rng, tm, 0, 8, base + 1, steps_per_beat=2, density=0.6, beats_per_line=4)
                for b in np.arange(sec.start_beat, sec.end_beat - 1e-6, 8.0):
                    shift = float(tm.time(b) - tm.time(0))
                    raps += [nt._replace(start=nt.start + shift) for nt in hook_bar]
        if sec.name in ("verse", "hook", "intro") and rng.random() < 0.7:
            for _ in range(int(sec.n_beats // 8)):
                b = sec.start_beat + rng.uniform(0, sec.n_beats)
                adlibs.append(Note(float(tm.time(b)), rng.uniform(0.15, 0.4), base + rng.uniform(3, 9), 0.8,
                                   vowel=int(rng.choice([0, 3, 4])), cons=int(rng.choice([0, 4, 3])),
                                   glide=rng.uniform(-4, 1)))
    mixer.add("rap", render_voice(raps, n, sr, rng, rapper, style="rap"), 0.0)
    if raps2:
        mixer.add("rap2", render_voice(raps2, n, sr, rng, rapper2, style="rap"), rng.uniform(-2, 1))
    if sung and hook_singer is not None:
        mixer.add("hook", render_voice(sung, n, sr, rng, hook_singer), rng.uniform(-3, 0))
    if adlibs:
        mixer.add("adlibs", render_voice(adlibs, n, sr, rng, rapper, style="rap", breaths=False), rng.uniform(-12, -6))
    if rng.random() < 0.35:
        sc = np.zeros(n, np.float32)
        for sec in sections:
            if sec.name in ("intro", "hook", "bridge") and rng.random() < 0.6:
                b = sec.start_beat + 4 * int(rng.integers(0, max(1, int(sec.n_beats // 4))))
                t0 = float(tm.time(b))
                length = float(tm.time(b + 4 * int(rng.integers(1, 3)))) - t0
                dsp.add_at(sc, int(t0 * sr), effects.scratch(rng, sr, length))
        if np.any(sc):
            mixer.add("scratch", sc, rng.uniform(-10, -3))
    return mixer.mix
