"""Typed training events and the abort rule, owned by training.observer."""

from __future__ import annotations

import pytest

from training.observer import (
    STAGES,
    STAGE_TITLES,
    EpochEnded,
    ForwardingObserver,
    LogLine,
    NullObserver,
    StageProgress,
    TrainingObserver,
    report_log,
    report_stage,
)
from urdu_genre_app.core.errors import CancelledError


def test_events_are_forwarded_typed_with_their_titles():
    seen = []
    observer = ForwardingObserver(seen.append, is_cancelled=lambda: False)
    report_stage(observer, "fit", 3, 40, epoch=2, epochs=10)
    report_log(observer, "hello")
    observer.on_event(EpochEnded(2, {"accuracy": 0.5}))
    assert seen == [StageProgress("fit", 3, 40, epoch=2, epochs=10), LogLine("hello"), EpochEnded(2, {"accuracy": 0.5})]
    assert seen[0].title == "Training" and seen[0].unit == "steps"
    assert set(STAGE_TITLES) == set(STAGES)
    assert isinstance(observer, TrainingObserver) and isinstance(NullObserver(), TrainingObserver)


@pytest.mark.parametrize("stage, raises", [("fit", False), ("evaluate", True), ("export", True), ("scan", False)])
def test_an_aborted_run_never_enters_evaluation_or_export(stage, raises):
    seen = []
    aborted = ForwardingObserver(seen.append, is_cancelled=lambda: False, is_aborted=lambda: True)
    assert aborted.is_cancelled(), "an abort cancels fitting too"
    if raises:
        with pytest.raises(CancelledError, match="aborted"):
            report_stage(aborted, stage, 0, 1)
        assert seen == []
    else:
        report_stage(aborted, stage, 0, 1)
        assert seen == [StageProgress(stage, 0, 1)]
    report_stage(ForwardingObserver(seen.append, is_cancelled=lambda: True), "export", 0, 1)
    assert seen[-1] == StageProgress("export", 0, 1), "a plain cancel still evaluates and saves"
