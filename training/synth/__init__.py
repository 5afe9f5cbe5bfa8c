"""Reproducible synthetic music corpus for the four genres (NumPy/SciPy only, no Qt).

No real Urdu recordings can be fetched on the build machine, so the bundled
model is trained on songs synthesised here: instruments are modelled in
NumPy (reed, bowed, plucked, membrane, voice, drum kit, guitar amp, ...),
genre arrangers follow the genre cues of DESIGN.md, and a recording chain
with the same odds for every genre adds room, EQ, band-limiting, noise and
level. See ``docs/SYNTHETIC_CORPUS.md``.

Public API
----------
GENRES
    ``("Ghazal", "Qawwali", "Hip-hop", "Rock")``.
generate_song(genre, seed, *, duration_seconds=None, sample_rate=22050)
    One mono float32 song.
generate_corpus(out_dir, *, songs_per_genre, seed=0, duration_range=(120, 360), formats=("wav",), workers=1,
progress=None)
    A labelled folder tree of songs, resumable and deterministic.
"""

from training.synth.corpus import SUPPORTED_FORMATS, generate_corpus
from training.synth.song import GENRES, generate_song

__all__ = ["GENRES", "SUPPORTED_FORMATS", "generate_corpus", "generate_song"]
