"""The one time formatter and the one terminal progress bar."""

from __future__ import annotations

import io

import pytest

from urdu_genre_app.core.clock import clock
from urdu_genre_app.core.terminal import BAR_WIDTH, ProgressBar


@pytest.mark.parametrize("seconds, text", [
    (0.0, "0:00"), (-3.0, "0:00"), (2.9999999, "0:03"), (59.9, "0:59"), (60.0, "1:00"), (187.5, "3:07"),
    (4500.0, "75:00"),
])
def test_clock_counts_whole_seconds_down(seconds, text):
    assert clock(seconds) == text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_in_place_and_clears_what_it_drew():
    stream = _Terminal()
    bar = ProgressBar(stream=stream)
    bar.draw(0.5, "1/2 song.mp3", prefix="extract ", final=True)
    line = f"extract [{'#' * (BAR_WIDTH // 2)}{'.' * (BAR_WIDTH // 2)}] 1/2 song.mp3"
    assert stream.getvalue() == "\r" + line
    bar.draw(0.6, "skipped: drawn too soon after the last one")
    assert stream.getvalue() == "\r" + line
    bar.clear()
    assert stream.getvalue().endswith("\r" + " " * len(line) + "\r")
    bar.clear()  # nothing drawn since: nothing written
    assert stream.getvalue().count("\r") == 3


def test_progress_bar_stays_silent_off_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    bar.draw(1.0, "done", final=True)
    bar.clear()
    assert stream.getvalue() == ""
