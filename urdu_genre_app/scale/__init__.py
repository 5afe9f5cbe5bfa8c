"""Classify a catalogue of songs into Parquet, on this machine's cores or on a Ray cluster.

One public function, :func:`classify_to_parquet`: the same per-song core API
as ``urdu-genre classify`` (:func:`urdu_genre_app.library.batch.classify_one`),
run either by the library's process pool or as a map step on Ray Data, with
one row per song written to a folder of Parquet files as songs finish
(:mod:`urdu_genre_app.scale.schema` documents the columns; docs/SCALE.md how
to run it on a cluster).

Needs the ``[scale]`` extra (pyarrow; Ray for ``address``/``--ray``). Nothing
here is imported by the app unless asked for, so the app and its tests run
without it; a missing extra raises :class:`ScaleExtraMissing`, whose message
says how to install it.
"""

from __future__ import annotations

from urdu_genre_app.scale.errors import ScaleError, ScaleExtraMissing
from urdu_genre_app.scale.run import ScaleSummary, classify_to_parquet

__all__ = ["ScaleError", "ScaleExtraMissing", "ScaleSummary", "classify_to_parquet"]
