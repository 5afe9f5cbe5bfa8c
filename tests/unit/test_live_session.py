"""Live scoring of a recording in progress (Qt-free): the windows it scores are the file's windows."""

from __future__ import annotations

import numpy as np
import pytest

from tests import audio_factory


def test_live_windows_match_classifying_the_whole_recording(tiny_bundle_path, monkeypatch):
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.components import live_session as live_module
    from urdu_genre_app.components.live_session import LiveSession, run_live_job

    monkeypatch.setattr(live_module, "FIRST_VERDICT_SECONDS", 1.0)  # the test model's windows are 3 s

    classifier = Classifier(load_bundle(tiny_bundle_path))
    signal = np.concatenate([audio_factory.make_sound(k, 3.2, seed=i) for i, k in enumerate(("Noise", "Tone", "Sweep"))])
    live = LiveSession(classifier)
    kinds = []
    for start in range(0, signal.size, 4410):  # 0.2 s at a time, one job at most per step
        live.append(signal[start : start + 4410])
        job = live.next_job()
        if job is not None:
            kinds.append(job.kind)
            live.accept(run_live_job(classifier, job))
    assert kinds[0] == "provisional" and "windows" in kinds
    job = live.next_job(finished=True)  # the recording ends: the end-aligned last window is due
    assert job is not None and job.kind == "windows"
    live.accept(run_live_job(classifier, job))
    assert live.next_job(finished=True) is None
    whole = classifier.classify_signal(signal)
    grid = whole.windows
    assert [w.start_seconds for w in live.windows] == [w.start_seconds for w in grid]  # the file's grid, end included
    for ours, theirs in zip(live.windows, grid, strict=True):
        assert (ours.index, ours.start_seconds) == (theirs.index, theirs.start_seconds)
        assert ours.probabilities == pytest.approx(theirs.probabilities, abs=1e-5)
    assert live.song_result().labels == classifier.labels
