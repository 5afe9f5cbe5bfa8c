"""Run a block iterator in a background thread, a few items ahead of its consumer.

Classifying a file is two chains of work: decoding (FFmpeg, resampling) and
scoring (MFCC, the model). Both spend most of their time in C code that
releases the GIL, so on a two-core machine running decoding in its own thread
lets the two overlap instead of taking turns (measured in
``benchmarks/bench_classify.py``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Seconds a blocked hand-off waits before it looks again for a stop request.
_POLL_SECONDS = 0.05

_ITEM, _ERROR, _END = "item", "error", "end"


def read_ahead(
    make_iterable: Callable[[], Iterable[T]], *, depth: int = 2, name: str = "read-ahead"
) -> Iterator[T]:
    """Iterate ``make_iterable()`` in a background thread, up to ``depth`` items ahead.

    Parameters
    ----------
    make_iterable : callable
        Called once, in the background thread, to create the iterable (so
        that opening a file also happens off the caller's thread).
    depth : int
        Items produced but not yet consumed, at most: bounds the memory held.
    name : str
        Name of the thread (shows in logs and debuggers).

    Yields
    ------
    object
        The items of the iterable, in order. An exception it raises is
        re-raised here, after the items that came before it.

    Notes
    -----
    Closing the returned generator (or leaving a ``for`` loop over it early)
    stops the background thread, closes the source iterable (so its file is
    closed) and waits for the thread to end.
    """
    handoff: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def hand_over(kind: str, payload: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put((kind, payload), timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = None
        try:
            source = iter(make_iterable())
            for item in source:
                if not hand_over(_ITEM, item):
                    return
        except BaseException as error:  # handed to the consumer, which raises it
            hand_over(_ERROR, error)
        else:
            hand_over(_END, None)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            try:
                kind, payload = handoff.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if thread.is_alive() or not handoff.empty():
                    continue
                # Only a failure inside the hand-over itself (MemoryError, say) gets here.
                raise RuntimeError(f"the {name} thread stopped without finishing") from None
            if kind == _ITEM:
                yield payload
            elif kind == _ERROR:
                raise payload
            else:
                return
    finally:
        stop.set()
        thread.join()
