"""What a model bundle's ``bundle.json`` may hold: sizes, nesting, types and ranges, checked before any use.

A bundle comes from anywhere (a colleague, a download), so its metadata is
hostile until checked. Three steps, each refusing with one sentence
(:class:`BundleMetadataError`, which :func:`~urdu_genre_app.core.bundle.load_bundle`
turns into a :class:`~urdu_genre_app.core.errors.ModelBundleError` naming the file):

1. size and nesting are capped on the raw bytes, before parsing:
   :data:`MAX_METADATA_BYTES` (400 MB of JSON compress into a 4.6 MB
   bundle) and :data:`MAX_NESTING` levels of ``[``/``{`` (deep nesting
   exhausts the parser's recursion);
2. the parser refuses ``NaN``, ``Infinity``, numbers that overflow to
   infinity (``1e400``) and integers longer than :data:`MAX_INTEGER_DIGITS`
   digits (a 5000-digit integer), none of which a bundle this app writes
   holds;
3. the whole document is validated against :data:`BUNDLE_SCHEMA` with
   ``jsonschema`` (a maintained JSON Schema implementation, rather than hand
   checks that miss a field): every field's type, and ranges that keep a
   model usable: an FFT or mel bank that fits in memory, a window hop that
   lets a one-hour file finish, a standard deviation that does not turn
   features into infinities, labels short enough to show.

The ranges are wide: the bundles this app trains sit well inside them.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Bytes of bundle.json read at most (the shipped bundles' are ~0.5 MB).
MAX_METADATA_BYTES = 16 << 20
#: Levels of arrays and objects inside each other (the shipped bundles use 6).
MAX_NESTING = 32
#: Digits an integer may have (a seed or a count; 2**63 has 19).
MAX_INTEGER_DIGITS = 20
#: Characters of one label (a genre name).
MAX_LABEL_CHARS = 64
#: Genres a bundle may name.
MAX_LABELS = 256
#: Characters of any other string (a description, a training command line).
MAX_STRING_CHARS = 20_000
#: Items of any array, and members of any object (the novelty check's 96 x 96 matrix has 96 rows).
MAX_ITEMS = 100_000


class BundleMetadataError(ValueError):
    """``bundle.json`` is too large, too deep, or not what a bundle holds; the message says which, in words."""


_FINITE = {"type": "number"}  # the parser already refused NaN and the infinities

BUNDLE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "format_version", "labels", "features", "normalization", "window_policy"],
    "properties": {
        "format": {"type": "string", "maxLength": 100},
        "format_version": {"type": "integer", "minimum": 1},
        "labels": {
            "type": "array", "minItems": 2, "maxItems": MAX_LABELS, "uniqueItems": True,
            # No control characters (ESC, CR, LF: a label is printed and shown) and no lone surrogates.
            "items": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL_CHARS,
                      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]+$"},
        },
        "architecture": {"type": "string", "maxLength": 100},
        "architecture_options": {"type": ["object", "null"], "maxProperties": 64},
        "features": {
            "type": "object",
            "required": ["sample_rate", "n_mfcc", "n_fft", "hop_length", "n_mels", "window_seconds"],
            "properties": {
                "sample_rate": {"type": "integer", "minimum": 1000, "maximum": 192_000},
                "n_mfcc": {"type": "integer", "minimum": 1, "maximum": 256},
                # 2**16 samples is 3 s at 22,050 Hz; a 10**12-point FFT cannot be allocated.
                "n_fft": {"type": "integer", "minimum": 16, "maximum": 65_536},
                "hop_length": {"type": "integer", "minimum": 16, "maximum": 65_536},
                "n_mels": {"type": "integer", "minimum": 1, "maximum": 1024},
                "fmin": {**_FINITE, "minimum": 0},
                "fmax": {**_FINITE, "minimum": 0},
                "top_db": {"anyOf": [{**_FINITE, "exclusiveMinimum": 0, "maximum": 400}, {"type": "null"}]},
                "window_seconds": {**_FINITE, "minimum": 0.5, "maximum": 600},
                "feature": {"type": "string", "maxLength": 32},
            },
        },
        "normalization": {
            "type": "object",
            "required": ["mean", "std"],
            "properties": {
                "mean": {"type": "array", "minItems": 1, "maxItems": 1024,
                         "items": {**_FINITE, "minimum": -1e6, "maximum": 1e6}},
                # A std of 1e-45 divides features into infinities ("Ghazal (nan%)").
                "std": {"type": "array", "minItems": 1, "maxItems": 1024,
                        "items": {**_FINITE, "minimum": 1e-6, "maximum": 1e6}},
            },
        },
        "window_policy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                # A hop of 1e-9 s makes a one-hour file ~10**12 windows.
                "hop_seconds": {**_FINITE, "minimum": 0.5, "maximum": 3600},
                "min_clip_seconds": {**_FINITE, "minimum": 0, "maximum": 600},
                "silence_dbfs": {**_FINITE, "minimum": -400, "maximum": 0},
            },
        },
        "provenance": {"type": ["object", "null"]},
        "metrics": {"type": ["object", "null"]},
        "checksums": {"type": "object", "maxProperties": 16,
                      "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        "novelty": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object", "maxProperties": 64,
                    "properties": {
                        "structure_space": {
                            "anyOf": [{"type": "null"}, {
                                "type": "object",
                                "properties": {"lag_frames": {"type": "integer", "minimum": 1, "maximum": 10_000}},
                            }],
                        },
                        "temperature": {**_FINITE, "exclusiveMinimum": 0, "maximum": 1e6},
                    },
                },
            ],
        },
    },
}

#: Opening and closing brackets, with strings (which may hold brackets) matched first so they are skipped.
_BRACKETS_OUTSIDE_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _check_nesting(raw: bytes) -> None:
    depth = 0
    for match in _BRACKETS_OUTSIDE_STRINGS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_NESTING:
                raise BundleMetadataError(f"bundle.json is nested more than {MAX_NESTING} levels deep")
        elif token in (b"]", b"}"):
            depth -= 1


def _check_bounds(metadata: Any) -> None:
    """Every string at most :data:`MAX_STRING_CHARS`, every array and object at most :data:`MAX_ITEMS` long."""
    stack = [("", metadata)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_STRING_CHARS:
                raise BundleMetadataError(f"bundle.json's {where or 'top level'} is a text of {len(value)} characters, "
                                          f"more than the {MAX_STRING_CHARS} allowed")
        elif isinstance(value, (list, dict)):
            if len(value) > MAX_ITEMS:
                raise BundleMetadataError(f"bundle.json's {where or 'top level'} holds {len(value)} items, "
                                          f"more than the {MAX_ITEMS} allowed")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((f"{where}.{key}" if where else str(key), item) for key, item in items)


def _refuse_constant(name: str) -> float:
    raise BundleMetadataError(f"bundle.json holds {name}, which is not a number a model can use")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BundleMetadataError(f"bundle.json holds the number {text[:40]}, too large to be used")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BundleMetadataError(f"bundle.json holds an integer of {len(text)} digits; none of its values is that long")
    return int(text)


def _validator():
    import jsonschema

    validator_class = jsonschema.validators.validator_for(BUNDLE_SCHEMA)
    return validator_class(BUNDLE_SCHEMA)


_VALIDATOR = None


def _where(error) -> str:
    parts = [str(part) for part in error.absolute_path]
    return ".".join(parts) if parts else "the top level"


def parse_metadata(raw: bytes) -> dict[str, Any]:
    """Parse and validate a bundle's ``bundle.json`` (the three steps of the module notes).

    Parameters
    ----------
    raw : bytes
        The member's bytes (at most :data:`MAX_METADATA_BYTES`; the caller
        checks the archive's declared size before reading).

    Returns
    -------
    dict
        The metadata, every field of the schema in range.

    Raises
    ------
    BundleMetadataError
        Too large, too deep, not UTF-8 JSON, a non-finite or overlong
        number, or a value outside the schema; one sentence naming the field.
    """
    global _VALIDATOR
    if len(raw) > MAX_METADATA_BYTES:
        raise BundleMetadataError(f"bundle.json is {len(raw)} bytes, more than the {MAX_METADATA_BYTES} a bundle may hold")
    _check_nesting(raw)
    try:
        metadata = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float,
                              parse_int=_bounded_int)
    except UnicodeDecodeError as error:
        raise BundleMetadataError(f"bundle.json is not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        raise BundleMetadataError(f"bundle.json is not valid JSON ({error})") from error
    except RecursionError as error:  # pragma: no cover - the nesting cap comes first
        raise BundleMetadataError("bundle.json is nested too deeply") from error
    if not isinstance(metadata, dict):
        raise BundleMetadataError("bundle.json is not a JSON object")
    return metadata


def validate_metadata(metadata: dict[str, Any]) -> None:
    """Check parsed metadata against :data:`BUNDLE_SCHEMA`.

    Raises
    ------
    BundleMetadataError
        The first (most relevant) violation, naming the field and the rule.
    """
    global _VALIDATOR
    import jsonschema

    if _VALIDATOR is None:
        _VALIDATOR = _validator()
    # The typed schema first: its messages name the field a user can look up (a 50 MB label: "labels.0").
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(metadata))
    if error is not None:
        message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
        raise BundleMetadataError(f"bundle.json's {_where(error)} is invalid: {message}")
    _check_bounds(metadata)
