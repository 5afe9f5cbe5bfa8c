"""The background read-ahead that lets decoding overlap with scoring."""

from __future__ import annotations

import threading
import time

import pytest

from urdu_genre_app.core.readahead import read_ahead


class Source:
    """An iterable that records where and how far it was run, and whether it was closed."""

    def __init__(self, count: int, *, fail_after: int | None = None) -> None:
        self.count = count
        self.fail_after = fail_after
        self.produced = 0
        self.closed = False
        self.thread_name = ""

    def __iter__(self):
        self.thread_name = threading.current_thread().name
        try:
            for item in range(self.count):
                if self.fail_after is not None and item == self.fail_after:
                    raise ValueError(f"broken at item {item}")
                self.produced += 1
                yield item
        finally:
            self.closed = True


def test_items_arrive_in_order_from_another_thread():
    source = Source(50)
    assert list(read_ahead(lambda: source, name="test-reader")) == list(range(50))
    assert source.thread_name == "test-reader"
    assert source.closed


def test_an_error_arrives_after_the_items_before_it():
    source = Source(10, fail_after=3)
    received = []
    with pytest.raises(ValueError, match="broken at item 3"):
        for item in read_ahead(lambda: source):
            received.append(item)
    assert received == [0, 1, 2]


def test_an_error_creating_the_source_is_raised_to_the_consumer():
    def make():
        raise FileNotFoundError("song.mp3")

    with pytest.raises(FileNotFoundError, match="song.mp3"):
        list(read_ahead(make))


def test_it_runs_at_most_depth_items_ahead():
    source = Source(1000)
    stream = read_ahead(lambda: source, depth=3)
    assert next(stream) == 0
    time.sleep(0.3)  # ample time for an unbounded producer to run far ahead
    # one handed over, three queued, one waiting to be queued
    assert source.produced <= 1 + 3 + 1
    stream.close()


def test_closing_early_stops_the_thread_and_closes_the_source():
    source = Source(10_000)
    stream = read_ahead(lambda: source, depth=2, name="early-stop")
    assert next(stream) == 0
    stream.close()
    assert source.closed
    assert source.produced < 10
    assert not any(t.name == "early-stop" for t in threading.enumerate())


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's death is the point
def test_a_producer_that_dies_in_the_hand_over_does_not_hang_the_consumer(monkeypatch):
    import queue

    from urdu_genre_app.core import readahead

    class LosingQueue(queue.Queue):
        """Hands items over but fails on the end-of-stream marker, as a MemoryError would."""

        def put(self, entry, *args, **kwargs):
            if entry[0] != "item":
                raise MemoryError("no room for the end marker")
            super().put(entry, *args, **kwargs)

    monkeypatch.setattr(readahead.queue, "Queue", LosingQueue)
    received = []
    with pytest.raises(RuntimeError, match="stopped without finishing"):
        for item in read_ahead(lambda: [1, 2, 3], name="losing"):
            received.append(item)
    assert received == [1, 2, 3]
