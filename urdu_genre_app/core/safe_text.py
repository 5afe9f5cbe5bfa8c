"""Text from outside (file names, a bundle's labels) made safe to print, to encode and to open in a spreadsheet.

Three rules, each written once here and used by every writer:

* :func:`terminal_safe`: for a terminal. Control characters (C0 and C1:
  ESC, CR, LF, BEL, ...) and the bidirectional overrides are written as
  Python-style escapes (``\\x1b``, ``\\r``, ``\\u202e``), so a label or a file
  name can neither move the cursor, recolour the screen, nor forge a line of
  output. Printable text, Urdu script included, is left as it is.
* :func:`unicode_path`: for UTF-8 output (JSON, CSV, the Library's table).
  A name that is not valid UTF-8 reaches Python with each undecodable byte as
  a lone surrogate (PEP 383); such a byte is written as ``\\xNN`` (backslash,
  ``x``, two hex digits), so the output stays valid UTF-8 and the byte is
  still readable.
* :func:`spreadsheet_safe`: for a CSV cell. A cell that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel or
  LibreOffice (``=HYPERLINK(...)``); it gets a leading apostrophe, as OWASP
  advises, so it is shown as text. Numbers are left alone.
"""

from __future__ import annotations

import csv
import os
import re

#: C0 and C1 control characters, DEL, and the bidirectional embedding/override/isolate marks.
_UNSAFE_FOR_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """``text`` with every character that could act on a terminal written as an escape (module notes)."""
    return _UNSAFE_FOR_TERMINAL.sub(_escape, str(text))


def unicode_path(path: str | os.PathLike) -> str:
    """A path as valid Unicode: each byte of the name that is not UTF-8 written as ``\\xNN``."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no file-name byte (e.g. from JSON)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula (module notes); numbers and None pass as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS) or _is_number(value):
        return value
    return "'" + value


def spreadsheet_unescape(text: str) -> str:
    """The cell :func:`spreadsheet_safe` was given (its apostrophe before a formula character taken off)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) and not _is_number(text[1:]):
        return text[1:]
    return text


class SpreadsheetSafeWriter:
    """``csv.writer`` whose every cell goes through :func:`spreadsheet_safe` (and, with ``unicode``, :func:`unicode_path`).

    Parameters
    ----------
    stream : text stream
        Where the rows go.
    unicode : bool
        Write undecodable file-name bytes as ``\\xNN`` (for output read by
        people and other programs); False keeps them for a manifest this app
        reads back with ``surrogateescape``.
    """

    def __init__(self, stream, *, unicode: bool = True) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._unicode = unicode

    def _cell(self, value: object) -> object:
        if self._unicode and isinstance(value, str):
            value = unicode_path(value)
        return spreadsheet_safe(value)

    def writerow(self, row) -> None:
        """Write one row."""
        self._writer.writerow([self._cell(value) for value in row])

    def writerows(self, rows) -> None:
        """Write rows."""
        for row in rows:
            self.writerow(row)
