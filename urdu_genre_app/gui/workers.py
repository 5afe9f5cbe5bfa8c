"""The one way work leaves the GUI thread: ``run_task`` posts ``(result, error)`` back.

Modelled on Picard's ``picard/util/thread.py``: a function runs on a
:class:`~PySide6.QtCore.QThreadPool`; when it returns (or raises) its result
and error are delivered to a callback on the GUI thread through a queued
signal. Work that must not overlap (classification, writing a recording) gets
its own single-thread pool, so jobs queue instead of piling up; the pools are
drained at exit.

As napari's ``_qt/qthreading.py`` workers do, ``run_task`` returns a
:class:`Task` that owns the job's cancel token: :meth:`Task.cancel` asks the
job to stop *and* drops whatever it still reports, so a caller that starts
a new job simply cancels the one it supersedes; nobody counts generations.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any, BaseException | None], None]
ProgressCallback = Callable[[Any], None]


class CancelToken:
    """A flag a task polls to stop early; calling it answers "cancelled?"."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the task to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()


class Task:
    """A job started by :func:`run_task`: its cancel token, and whether its outcome still matters.

    Attributes
    ----------
    token : CancelToken
        Passed to the job as ``token`` when it was started with
        ``cancellable=True``; the job polls it to stop early.
    done : bool
        True once the outcome was delivered (or dropped).
    """

    def __init__(self) -> None:
        self.token = CancelToken()
        self.done = False

    def cancel(self) -> None:
        """Ask the job to stop and drop everything it reports from now on (it is superseded)."""
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self.token.cancelled

    @property
    def running(self) -> bool:
        """Started, not cancelled, and its outcome not yet delivered."""
        return not self.done and not self.cancelled


class _Relay(QObject):
    """Lives on the GUI thread; its slots run the callbacks there, unless the task was cancelled."""

    progressed = Signal(object)
    finished = Signal(object, object)

    def __init__(self, task: Task, on_done: DoneCallback | None, on_progress: ProgressCallback | None,
                 owner: QObject | None) -> None:
        super().__init__(owner)
        self._task = task
        self._on_done = on_done
        self._on_progress = on_progress
        self.progressed.connect(self._deliver_progress)
        self.finished.connect(self._deliver_done)

    @Slot(object)
    def _deliver_progress(self, value: Any) -> None:
        """Hand a progress value to the caller's callback."""
        if self._on_progress is not None and not self._task.cancelled:
            self._on_progress(value)

    @Slot(object, object)
    def _deliver_done(self, result: Any, error: BaseException | None) -> None:
        """Hand the outcome to the caller's callback and let go of this relay."""
        _live_relays.discard(self)
        self._task.done = True
        if self._on_done is not None and not self._task.cancelled:
            self._on_done(result, error)


#: Relays waiting for their task; kept so Python does not collect them early.
_live_relays: set[_Relay] = set()


class _Runnable(QRunnable):
    def __init__(self, func: Callable[..., Any], relay: _Relay, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self._func = func
        self._relay = relay
        self._kwargs = kwargs

    def run(self) -> None:
        try:
            result, error = self._func(**self._kwargs), None
        except BaseException as failure:  # every failure goes back to the GUI thread
            result, error = None, failure
            if not _is_expected(failure):
                log.error("task %s failed", getattr(self._func, "__name__", self._func), exc_info=failure)
        try:
            self._relay.finished.emit(result, error)
        except RuntimeError:  # the owner (and its relay) was deleted meanwhile: nobody to tell
            log.debug("result of %s dropped: its receiver is gone", getattr(self._func, "__name__", self._func))


def _is_expected(error: BaseException) -> bool:
    from urdu_genre_app.core.errors import UrduGenreError

    return isinstance(error, (UrduGenreError, OSError))


def run_task(
    func: Callable[..., Any],
    on_done: DoneCallback | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
    cancellable: bool = False,
    **kwargs: Any,
) -> Task:
    """Run ``func(**kwargs)`` off the GUI thread and post its outcome back.

    Parameters
    ----------
    func : callable
        The work. When ``on_progress`` is given it receives a ``report``
        keyword argument: a function it may call from its thread with any
        value, delivered to ``on_progress`` on the GUI thread, in order.
    on_done : callable, optional
        Called on the GUI thread with ``(result, None)`` or ``(None, error)``.
    on_progress : callable, optional
        Called on the GUI thread with each reported value.
    pool : QThreadPool, optional
        Where to run; the global pool by default.
    owner : QObject, optional
        Whose callbacks these are; when it is deleted first, the outcome is
        dropped instead of reaching a dead widget. By default, the object
        ``on_done`` is a bound method of (also through ``functools.partial``).
    cancellable : bool
        Pass the task's :class:`CancelToken` to ``func`` as ``token``.
    **kwargs
        Passed to ``func``.

    Returns
    -------
    Task
        Cancel it to stop the job and drop its outcome (progress included).
    """
    task = Task()
    relay = _Relay(task, on_done, on_progress, owner if owner is not None else _owner_of(on_done))
    _live_relays.add(relay)
    relay.destroyed.connect(lambda *_: _live_relays.discard(relay))
    if on_progress is not None:
        kwargs["report"] = relay.progressed.emit
    if cancellable:
        kwargs["token"] = task.token
    (pool or QThreadPool.globalInstance()).start(_Runnable(func, relay, kwargs))
    return task


def _owner_of(callback: Any) -> QObject | None:
    """The QObject a callback is a bound method of, if any."""
    while isinstance(callback, functools.partial):
        callback = callback.func
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, QObject) else None


def serial_pool(name: str) -> QThreadPool:
    """A pool with one thread: its jobs run one after another, never together."""
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    pool.setObjectName(name)
    return pool
