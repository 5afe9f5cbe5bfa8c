"""The Classify view's Qt-free state: what each change announces, in which order, and what it keeps."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from urdu_genre_app.components.classify_state import RECORDING, ClassifyState
from urdu_genre_app.components.events import Emitter
from urdu_genre_app.core.classifier import WindowReport
from urdu_genre_app.core.features import SAMPLE_RATE, FeatureParams
from urdu_genre_app.core.results import SongResult, WindowResult

LABELS = ["Ghazal", "Qawwali", "Hip-hop", "Rock"]


def _classifier(sample_rate: int = 16_000, labels=LABELS):
    """Just what the state reads from a classifier: its labels and its bundle's feature rate."""
    params = FeatureParams(sample_rate=sample_rate)
    return SimpleNamespace(labels=list(labels), bundle=SimpleNamespace(feature_params=params))


def _record(state: ClassifyState) -> list[tuple[str, object]]:
    """Every event the state emits, as (kind, event), in order."""
    seen: list[tuple[str, object]] = []
    for kind, emitter in vars(state.events).items():
        emitter.connect(lambda event, kind=kind: seen.append((kind, event)))
    return seen


def _report(index: int, probabilities=(0.7, 0.1, 0.1, 0.1), progress=None) -> WindowReport:
    window = WindowResult(index, index * 15.0, index * 15.0 + 30.0, probabilities)
    return WindowReport(window, np.full((4, 2), index, np.float32), progress)


def test_emitter_calls_in_order_and_forgets_disconnected_callbacks():
    emitter: Emitter[int] = Emitter()
    calls = []
    first = emitter.connect(lambda value: calls.append(("first", value)))
    emitter.connect(lambda value: calls.append(("second", value)))
    emitter.emit(1)
    emitter.disconnect(first)
    emitter.disconnect(first)  # twice: ignored
    emitter.emit(2)
    assert calls == [("first", 1), ("second", 1), ("second", 2)]


def test_the_active_model_is_held_while_another_loads_and_restored_when_that_fails():
    state = ClassifyState()
    seen = _record(state)
    assert state.model_state == "loading" and state.classifier is None and state.sample_rate == SAMPLE_RATE
    working = _classifier()
    state.set_classifier(working)
    assert state.classifier is working and state.labels == LABELS and state.sample_rate == 16_000
    assert [kind for kind, _ in seen] == ["waiting", "model"]
    assert seen[0][1].labels == LABELS  # the new model's empty bars

    state.set_model_loading()
    assert state.classifier is None and state.last_classifier is working
    assert state.load_failed() is True  # back to the working model
    assert state.classifier is working and state.model_state == "ready"

    state.set_no_model()
    assert state.classifier is None and state.model_state == "none" and state.last_classifier is None
    assert "No model is installed" in state.no_model_text("song.mp3") and "“song.mp3”" in state.no_model_text("song.mp3")
    state.set_model_loading()
    assert state.load_failed() is False and state.model_state == "error"
    assert state.no_model_text().startswith("The model could not be loaded, so nothing can be classified")


def test_a_new_source_forgets_the_previous_one_and_says_so_in_order():
    state = ClassifyState()
    state.set_classifier(_classifier())
    state.begin("/music/old.mp3", analysis_starts=True)
    state.add_window(_report(0))
    state.set_audio(np.zeros(32_000, np.float32), 16_000)
    state.set_position(1.5)
    seen = _record(state)
    state.begin(RECORDING)
    assert [kind for kind, _ in seen] == ["audio", "position", "source", "waiting"]
    assert seen[0][1].samples is None and seen[1][1].seconds is None
    assert seen[2][1].source == RECORDING and seen[2][1].analysis_starts is False
    assert state.windows == [] and state.features == [] and state.result is None and not state.analysing
    assert state.audio_seconds == 0.0 and state.position is None and state.source_name == "Recording"


def test_scored_windows_build_the_interim_verdict_and_the_final_result_replaces_it():
    state = ClassifyState()
    state.set_classifier(_classifier())
    state.begin("/music/song.wav", analysis_starts=True)
    assert state.analysing and state.source_name == "song.wav"
    assert not state.has_result
    seen = _record(state)
    state.add_window(_report(0, (0.6, 0.2, 0.1, 0.1), progress=0.25))
    assert state.has_result
    state.add_window(_report(1, (0.1, 0.7, 0.1, 0.1), progress=0.5))
    first, second = (event for _, event in seen)
    assert first.first and not second.first
    assert second.progress == 0.5 and [w.index for w in second.interim.windows] == [0, 1]
    assert second.interim.labels == LABELS and second.interim.path == "/music/song.wav"
    assert second.interim.probabilities == pytest.approx(
        SongResult(path="x", labels=LABELS, windows=[_report(0, (0.6, 0.2, 0.1, 0.1)).result,
                                                     _report(1, (0.1, 0.7, 0.1, 0.1)).result]).probabilities)
    assert len(state.features) == 2

    final = SongResult(path="/music/song.wav", labels=LABELS, windows=[_report(i).result for i in range(3)],
                       duration_seconds=60.0, model_name="m")
    state.finish(final)
    assert state.result is final and not state.analysing and len(state.windows) == 3 and state.has_result
    assert len(state.features) == 2  # the images streamed during the analysis are kept
    assert seen[-1] == ("finished", seen[-1][1]) and seen[-1][1].result is final


def test_failure_and_restart_of_an_analysis():
    state = ClassifyState()
    state.set_classifier(_classifier())
    state.begin("/music/broken.mp3", analysis_starts=True)
    seen = _record(state)
    state.fail("/music/broken.mp3: empty file")
    assert not state.analysing and seen == [("failed", seen[0][1])] and "empty" in seen[0][1].message
    state.add_window(_report(0))
    state.restart_analysis()
    assert state.analysing and state.windows == [] and state.features == [] and state.result is None


def test_audio_is_measured_at_the_models_rate_and_recording_reports_changes():
    state = ClassifyState()
    state.set_classifier(_classifier(sample_rate=8000))
    seen = _record(state)
    state.set_audio(np.zeros(20_000, np.float32))
    assert state.audio_seconds == pytest.approx(2.5) and seen[0][1].sample_rate == 8000
    assert state.position == 0.0
    state.set_recording(True)
    state.set_recording(True, 1.0, 0)
    state.set_recording(True, 4.0, 1)
    state.set_recording(False, 4.2)
    changes = [event for kind, event in seen if kind == "recording"]
    assert [(e.active, e.changed) for e in changes] == [(True, True), (True, False), (True, False), (False, True)]
    assert changes[2].scored == 1 and not state.recording


def test_notices_and_waiting_texts():
    state = ClassifyState()
    seen = _record(state)
    state.notify("warning", "Live classification failed: boom", status="")
    state.wait("Verdict", "Recording failed")
    state.wait("Verdict", "Too short", progress="Recording too short")
    notice, failed, short = (event for _, event in seen)
    assert (notice.level, notice.text, notice.status) == ("warning", "Live classification failed: boom", "")
    assert failed.labels is None and failed.progress is None  # no model: the bars shown are kept
    assert short.progress == "Recording too short"


def test_a_view_subscribes_by_naming_its_handlers_after_the_events():
    class View:
        def __init__(self):
            self.calls = []

        def _on_source(self, event):
            self.calls.append(("source", event.source))

        def _on_position(self, event):
            self.calls.append(("position", event.seconds))

        def _on_sourced(self, event):  # not an event kind: left alone
            raise AssertionError("never called")

    state, view = ClassifyState(), View()
    assert state.events.connect_handlers(view) == ["source", "position"]
    state.begin("/music/a.mp3")
    assert view.calls == [("position", None), ("source", "/music/a.mp3")]
