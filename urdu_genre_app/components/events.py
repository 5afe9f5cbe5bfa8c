"""Plain events for the Qt-free state models: a list of callbacks per event, called in order.

A small cousin of napari's ``EventEmitter``: a model owns one
:class:`Emitter` per kind of change and calls :meth:`Emitter.emit` with a
frozen dataclass that says what changed; views ``connect`` a callback.
Everything runs on the caller's thread (the GUI thread, for the app), so
nothing here needs a lock or an event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")


class Emitter(Generic[E]):
    """Callbacks waiting for one kind of event."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[E], None]] = []

    def connect(self, callback: Callable[[E], None]) -> Callable[[E], None]:
        """Call ``callback(event)`` on every later :meth:`emit`; returns it (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[[E], None]) -> None:
        """Stop calling ``callback``; unknown callbacks are ignored."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: E) -> None:
        """Hand ``event`` to every connected callback, in the order they connected."""
        for callback in list(self._callbacks):  # a callback may connect or disconnect others
            callback(event)
