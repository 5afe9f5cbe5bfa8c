"""A second song renderer, built on recorded sounds (Qt-free; no downloads).

Where :mod:`training.synth` models every instrument in NumPy, this renderer
plays recordings installed from Debian packages: tabla strokes, breakbeats,
drum hits and vinyl noise from ``sonic-pi-samples`` (CC0), recorded drum
kits, hand claps and hand drums from ``hydrogen-drumkits``, melodic parts
(reed organ for the harmonium, sitar, shehnai, fiddle, strings, distorted
guitars, basses, keys) rendered by ``fluidsynth`` from a General MIDI
soundfont (``timgm6mb-soundfont``), and Urdu voices from ``espeak-ng``
pitched to a melody. The same genre cues as the NumPy renderer, the same
recording chain (:mod:`training.synth.production`), other sounds. See
``docs/SYNTHETIC_CORPUS.md``.

Public API
----------
generate_sampled_song(genre, seed, *, duration_seconds=None, sample_rate=22050, library=None)
    One mono float32 song.
SampleLibrary, SamplePackageMissingError, SAMPLE_PACKAGES
    Where the sounds are; the error naming a missing package.
"""

from training.sampled.song import generate_sampled_song
from training.sampled.sources import SAMPLE_PACKAGES, SampleLibrary, SamplePackageMissingError

__all__ = ["SAMPLE_PACKAGES", "SampleLibrary", "SamplePackageMissingError", "generate_sampled_song"]
