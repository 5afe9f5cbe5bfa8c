"""The small catalogue the archive-scale tests classify, and how they read its Parquet back (pool and Ray alike)."""

from __future__ import annotations

from pathlib import Path

from tests import audio_factory


def write_catalogue(root: Path, names: list[str]) -> Path:
    """One 35 s song (two windows) per name, in the format its suffix says, plus a corrupt MP3; returns ``root``."""
    for i, (kind, name) in enumerate(zip(audio_factory.TINY_LABELS, names)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        audio_factory.write_audio(root / name, audio_factory.make_sound(kind, 35.0, seed=i))
    (root / "corrupt.mp3").write_bytes(b"ID3 this is no mp3" * 50)
    return root


def read_rows(out) -> list[dict]:
    """Every row of the Parquet dataset ``out``, sorted by path (needs the [scale] extra's pyarrow)."""
    import pyarrow.dataset as pads

    return sorted(pads.dataset(str(out), format="parquet").to_table().to_pylist(), key=lambda row: row["path"])
