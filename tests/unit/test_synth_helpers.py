"""Helpers the synth's genre arrangers and instruments share: weighted picks, chances, quiet intros, pitch sets, filters."""

from __future__ import annotations

import numpy as np

from training.synth import dsp, theory
from training.synth.genres.common import chances, pick_weighted, quiet_intro, theka_over
from training.synth.rhythm import TAALS, taal_events
from training.synth.timeline import Section, TempoMap

SR = 22050


def test_pick_weighted_draws_only_weighted_names_in_proportion() -> None:
    rng = np.random.default_rng(0)
    table = (("a", 3.0), ("b", 1.0), ("never", 0.0))
    draws = [pick_weighted(rng, table) for _ in range(4000)]
    assert set(draws) == {"a", "b"}
    # Weights 3:1 normalise to odds 0.75 / 0.25; 4000 draws put "a" within a few percent of that.
    assert 0.70 < draws.count("a") / len(draws) < 0.80


def test_chances_draw_once_per_part_in_order_and_not_at_all_for_a_zero_chance() -> None:
    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    has = chances(rng, {"always": 1.0, "ruled_out": 0.0, "never": 1e-12})
    assert has == {"always": True, "ruled_out": False, "never": False}
    # Two draws (the zero chance took none): the stream goes on as the twin's after two draws.
    twin.random(2)
    assert rng.random() == twin.random()


def test_quiet_intro_turns_down_the_opening_and_ramps_back_to_full_level() -> None:
    out = np.ones(1000, np.float32)
    quiet_intro(out, 600, -20.0, 100)
    gain = float(dsp.db_to_gain(-20.0))
    np.testing.assert_allclose(out[:500], gain, rtol=1e-6)
    assert np.all(np.diff(out[500:600]) > 0)  # the ramp rises
    np.testing.assert_allclose(out[599], 1.0, rtol=1e-6)
    assert np.all(out[600:] == 1.0)  # after the intro, untouched


def test_quiet_intro_ramp_longer_than_the_intro_is_cut_to_it() -> None:
    out = np.ones(50, np.float32)
    quiet_intro(out, 20, -40.0, 1000)
    np.testing.assert_allclose(out[0], dsp.db_to_gain(-40.0), rtol=1e-6)
    np.testing.assert_allclose(out[19], 1.0, rtol=1e-6)


def test_pitch_set_is_the_mode_pitches_in_range_with_their_weights() -> None:
    mode = theory.RAGAS["Yaman"]
    pitches, weights = theory.pitch_set(60, mode, 55, 75)
    assert pitches.min() >= 55 and pitches.max() <= 75
    assert set(((pitches - 60) % 12).tolist()) <= set(mode.intervals)
    np.testing.assert_array_equal(weights, theory.pitch_weights(pitches, 60, mode))


def test_apply_sos_lowpass_filters_highs_only_when_the_cutoff_is_below_nyquist() -> None:
    t = np.arange(SR) / SR
    tone = np.sin(2 * np.pi * 8000 * t).astype(np.float32)
    flat = dsp.peaking_sos(1000.0, 0.0, 1.0, SR)  # 0 dB bell: passes everything
    open_top = dsp.apply_sos_lowpass(tone, flat, 0.5 * SR, SR)
    np.testing.assert_array_equal(open_top, dsp.apply_sos(tone, flat))
    closed = dsp.apply_sos_lowpass(tone, flat, 1000.0, SR)
    assert dsp.rms(closed[SR // 2:]) < 0.05 * dsp.rms(tone)


def test_theka_over_plays_each_section_louder_with_its_energy() -> None:
    tm = TempoMap(0.0, np.full(64, 90.0))
    sections = [Section("quiet", 0.0, 16.0, 0.0), Section("loud", 16.0, 16.0, 1.0)]
    events = theka_over(np.random.default_rng(4), tm, sections, TAALS["keherwa"], vel=0.5, swell=0.4,
                        variation=(0.1, 0.3), fill_prob=0.2)
    # The same strokes as one taal_events call a section, each with its own draw of the variation.
    rng = np.random.default_rng(4)
    expected = []
    for sec in sections:
        expected += taal_events(tm, sec.start_beat, sec.n_beats, TAALS["keherwa"], rng, vel=0.5 + 0.4 * sec.energy,
                                variation=rng.uniform(0.1, 0.3), fill_prob=0.2)
    assert events == expected
    quiet = max(v for t, _, v in events if t < tm.time(16.0))
    loud = max(v for t, _, v in events if t >= tm.time(16.0))
    assert loud > quiet
