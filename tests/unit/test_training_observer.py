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


def test_null_observer_subclasses_override_one_hook_per_event_type():
    class Epochs(NullObserver):
        def __init__(self):
            self.seen = []

        def on_epoch(self, ended):
            self.seen.append(ended.epoch)

    observer = Epochs()
    report_stage(observer, "fit", 1, 2, epoch=1, epochs=3)
    observer.on_event(EpochEnded(1, {}))
    report_log(observer, "ignored")
    assert observer.seen == [1] and not observer.is_cancelled() and not observer.is_aborted()


def test_the_terminal_observer_prints_epochs_and_news_but_draws_no_bar_off_a_terminal():
    import io

    from training.cli import TerminalObserver

    stream = io.StringIO()
    observer = TerminalObserver(stream=stream)
    report_stage(observer, "extract", 1, 4)
    observer.on_event(EpochEnded(2, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.25, "val_accuracy": 1.0,
                                     "windows_per_second": 12.0, "seconds": 9.6}))
    report_log(observer, "wrote model.ugm")
    assert stream.getvalue() == (
        "epoch 2: loss 0.5000 acc 0.750  val_loss 0.2500 val_acc 1.000  (12.0 windows/s, 10 s)\n"
        "wrote model.ugm\n"
    )
