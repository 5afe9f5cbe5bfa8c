"""Work-arounds for bugs in the Qt binding, each checked at run time so it stays harmless when fixed.

PySide6 6.12.0 returns ``True`` (or ``False``) from ``SignalInstance.emit()``
without taking a reference to it. Python then releases a reference it never
had, so every ``emit()`` from Python code lowers ``True``'s reference count
by one. On Python 3.12+ ``True`` is immortal and nothing happens; on 3.11 the
count reaches zero after some thousands of emits (the recorder emits 100 a
second) and the interpreter aborts with "bool_dealloc: deallocating True or
False". :func:`emit` emits and, only where the binding has the bug, gives the
reference back.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal()


def _emit_drops_a_reference() -> bool:
    """True when ``emit()`` returns a bool it does not own (measured once)."""
    if sys.version_info >= (3, 12):  # bools are immortal: the bug cannot hurt
        return False
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before - 4


_DROPS_REFERENCE = _emit_drops_a_reference()
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, safe from the binding's reference bug."""
    result = signal.emit(*args)
    if _DROPS_REFERENCE and isinstance(result, bool):
        _incref(result)
