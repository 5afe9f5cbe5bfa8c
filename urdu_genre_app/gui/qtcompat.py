"""Deprecated: ``emit(signal, *args)`` is ``signal.emit(*args)``.

It once worked around PySide6 6.12.0's emit() dropping a reference to
``True`` on Python 3.11; the pin in pyproject.toml excludes that release, so
the work-around is gone. Only the Training tab still calls this (its module
belongs to another change); once it calls ``signal.emit`` itself, delete this file.
"""

from __future__ import annotations

from typing import Any


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``."""
    signal.emit(*args)
