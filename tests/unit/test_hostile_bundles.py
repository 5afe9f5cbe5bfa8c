"""Hostile ``bundle.json`` values are refused with one line and exit status 2 (issue 17.6).

Each case starts from the shipped bundle and changes only its ``bundle.json``
(the checksums cover the other members, so the rest stays valid): before the
schema, these ended in a traceback, a MemoryError, a run that never finished
or a "Ghazal (nan%)" verdict.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from urdu_genre_app.cli import EXIT_USAGE, main
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.core.bundle_schema import MAX_NESTING
from urdu_genre_app.core.errors import ModelBundleError
from urdu_genre_app.resources import bundled_model_path

METADATA = "bundle.json"


def _rewrite(source: Path, target: Path, metadata: bytes | None = None, *, padding_bytes: int = 0) -> Path:
    """``source`` with its bundle.json replaced (and, with ``padding_bytes``, that many spaces appended, streamed)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for info in original.infolist():
            if info.filename != METADATA:
                copy.writestr(info, original.read(info.filename))
                continue
            with copy.open(METADATA, "w", force_zip64=padding_bytes > 0) as stream:
                stream.write(metadata if metadata is not None else original.read(METADATA))
                block = b" " * (1 << 20)
                for _ in range(padding_bytes // len(block)):
                    stream.write(block)
    return target


def _metadata() -> dict:
    with zipfile.ZipFile(bundled_model_path()) as archive:
        return json.loads(archive.read(METADATA))


def _edited(edit) -> bytes:
    metadata = _metadata()
    edit(metadata)
    return json.dumps(metadata).encode("utf-8")


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def edit(metadata: dict) -> None:
        target = metadata
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return edit


def _raw(*keys, text: str) -> bytes:
    """The metadata with the value at ``keys`` written as raw JSON text (NaN, 1e400, a 5000-digit integer)."""
    marker = "__RAW_VALUE__"
    return _edited(_set(*keys, marker)).replace(f'"{marker}"'.encode(), text.encode())


def _nested(depth: int) -> bytes:
    metadata = json.dumps(_metadata())
    return (metadata[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}").encode()


HOSTILE = {
    "checksums of the wrong type": lambda: _edited(_set("checksums", ["not", "an", "object"])),
    "provenance of the wrong type": lambda: _edited(_set("provenance", 5)),
    "metrics of the wrong type": lambda: _edited(_set("metrics", "all good")),
    "labels of the wrong type": lambda: _edited(_set("labels", {"a": 1})),
    "Infinity sample_rate": lambda: _raw("features", "sample_rate", text="Infinity"),
    "NaN window_seconds": lambda: _raw("features", "window_seconds", text="NaN"),
    "Infinity hop_seconds": lambda: _raw("window_policy", "hop_seconds", text="-Infinity"),
    "Infinity lag_frames": lambda: _raw("novelty", "structure_space", "lag_frames", text="Infinity"),
    "1e400 sample_rate": lambda: _raw("features", "sample_rate", text="1e400"),
    "5000-digit integer": lambda: _raw("provenance", "seed", text="9" * 5000),
    "deep nesting": lambda: _nested(100_000),
    "NaN top_db": lambda: _raw("features", "top_db", text="NaN"),
    "tiny std": lambda: _raw("normalization", "std", text="[" + ", ".join(["1e-45"] * 32) + "]"),
    "huge n_fft": lambda: _edited(_set("features", "n_fft", 10**12)),
    "huge n_mels": lambda: _edited(_set("features", "n_mels", 10**7)),
    "hop 1e-9": lambda: _edited(_set("window_policy", "hop_seconds", 1e-9)),
    "50 MB label": lambda: _edited(_set("labels", 0, "G" * (50 << 20))),
    "label with terminal escapes": lambda: _edited(_set("labels", 0, "\x1b[2JGhazal\r\nRock")),
    "normalisation of the wrong length": lambda: _edited(_set("normalization", "mean", [0.0] * 3)),
}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_bundle_is_refused_with_one_line_and_status_2(case, hostile_dir, capsys):
    bundle = _rewrite(bundled_model_path(), hostile_dir / f"{case.replace(' ', '_')}.ugm", HOSTILE[case]())
    with pytest.raises(ModelBundleError) as refused:
        load_bundle(bundle, with_keras=False)
    assert str(bundle) in str(refused.value)
    assert main(["classify", "--model", str(bundle), str(bundle)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("urdu-genre: error: ") and len(err) < 1000, err


@pytest.mark.slow
def test_400_mb_of_json_in_a_small_bundle_is_refused_before_it_is_read(hostile_dir, capsys):
    bundle = _rewrite(bundled_model_path(), hostile_dir / "padded.ugm", padding_bytes=400 << 20)
    assert bundle.stat().st_size < 20 << 20  # the spaces compress: a small file on disk
    assert main(["classify", "--model", str(bundle), str(bundle)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "bundle.json is" in err and "bytes" in err


def test_nesting_just_inside_the_cap_still_loads(hostile_dir):
    """The cap refuses depth, not ordinary bundles: the shipped metadata plus a few levels loads."""
    bundle = _rewrite(bundled_model_path(), hostile_dir / "nested_ok.ugm", _nested(MAX_NESTING - 2))
    assert load_bundle(bundle, with_keras=False).labels == load_bundle(bundled_model_path(), with_keras=False).labels


def test_the_shipped_bundles_pass_the_schema():
    from urdu_genre_app.resources import resource_path

    for path in sorted(Path(resource_path("models")).glob("*.ugm")):
        assert load_bundle(path, with_keras=False).labels
