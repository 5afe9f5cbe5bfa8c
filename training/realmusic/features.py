"""Tag features of whole songs, computed once and cached: the material the ``musicnn_tags`` head is chosen on.

Each song is decoded at 16 kHz, cut into non-overlapping 30 s windows (at most
:data:`MAX_WINDOWS_PER_SONG`, evenly spread over the song; a song shorter than
a window is looped to fill one, as the classifier does), and every 3 s patch
slot of each window goes through both taggers (:mod:`training.realmusic.tags`)
run by LiteRT, ~10x faster than Keras on these machines. The result per song
is an array of shape (windows, 2, 100) (the :data:`TAGGED_SLOTS`), stored in one ``.npz`` per source
list, keyed by the song's sha256 (real files) or path (synthetic ones), so a
rerun only computes what is new.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.musicnn.backbone import N_MELS, PATCH_FRAMES
from training.musicnn.genre_model import musicnn_feature_params

#: Windows kept per song (evenly spread); bounds the cost of a long song.
MAX_WINDOWS_PER_SONG = 4
#: Seconds of a window.
WINDOW_SECONDS = 30.0
#: The 3 s slots of a window that are tagged: those a 2-patch model pools (2 and 7 of 10,
#: :func:`training.musicnn.genre_model.patch_slots`). Both taggers cost ~2.8 G multiply-adds a
#: patch, so tagging all 10 slots of every window was out of reach on the 2 shared cores here.
TAGGED_SLOTS = (2, 7)


@dataclass(frozen=True)
class SongSource:
    """A song to featurise: its file, label, the group a split keeps together, and where it came from."""

    path: str
    genre: str
    group: str
    origin: str  # "open-music", "synth-numpy", "synth-sampled", ...
    key: str


def song_windows(signal: np.ndarray, *, sample_rate: int, max_windows: int = MAX_WINDOWS_PER_SONG) -> np.ndarray:
    """Start samples of up to ``max_windows`` non-overlapping 30 s windows, evenly spread (shape (k,), int)."""
    length = int(WINDOW_SECONDS * sample_rate)
    count = max(1, signal.size // length)
    starts = np.arange(count) * length
    if count > max_windows:
        starts = starts[np.linspace(0, count - 1, max_windows).round().astype(int)]
    return starts


def window_log_mels(signal: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Log-mel images of the windows at ``starts``, shape (k, 1876, 96), float32 (short audio looped)."""
    from urdu_genre_app.core.features import window_features

    params = musicnn_feature_params(WINDOW_SECONDS)
    length = int(WINDOW_SECONDS * params.sample_rate)
    if signal.size < length:
        signal = np.resize(signal, length) if signal.size else np.zeros(length, np.float32)
    return np.stack([window_features(signal[s : s + length], params) for s in starts]).astype(np.float32)


class LiteRtTagger:
    """:func:`~training.realmusic.tags.tag_pair_model` converted once and run by LiteRT: (n, 187, 96) -> (n, 100)."""

    def __init__(self, tflite: bytes, *, batch: int = 10) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_content=tflite, num_threads=os.cpu_count() or 1)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0
        self.batch = batch

    @classmethod
    def build(cls, saved: str | os.PathLike | None = None) -> "LiteRtTagger":
        """Convert the pretrained tag pair (needs TensorFlow), or read the conversion ``saved`` earlier."""
        if saved is not None and Path(saved).is_file():
            return cls(Path(saved).read_bytes())
        from training.export import keras_to_tflite
        from training.realmusic.tags import tag_pair_model

        flatbuffer = keras_to_tflite(tag_pair_model())
        if saved is not None:
            Path(saved).write_bytes(flatbuffer)
        return cls(flatbuffer)

    def __call__(self, patches: np.ndarray) -> np.ndarray:
        out = []
        for begin in range(0, len(patches), self.batch):
            chunk = np.ascontiguousarray(patches[begin : begin + self.batch], np.float32)
            if len(chunk) != self._batch:
                self._interpreter.resize_tensor_input(self._input, [len(chunk), PATCH_FRAMES, N_MELS])
                self._interpreter.allocate_tensors()
                self._batch = len(chunk)
            self._interpreter.set_tensor(self._input, chunk)
            self._interpreter.invoke()
            out.append(np.array(self._interpreter.get_tensor(self._output)))
        return np.concatenate(out)


def song_slot_logits(path: str | os.PathLike, tagger, *, max_windows: int = MAX_WINDOWS_PER_SONG) -> np.ndarray:
    """The 100 tag logits of the :data:`TAGGED_SLOTS` of a song's windows, shape (k, 2, 100), float32."""
    from urdu_genre_app.core.audio_io import load_audio

    params = musicnn_feature_params(WINDOW_SECONDS)
    signal = load_audio(path, sample_rate=params.sample_rate)
    mels = window_log_mels(signal, song_windows(signal, sample_rate=params.sample_rate, max_windows=max_windows))
    slots = mels.shape[1] // PATCH_FRAMES
    patches = mels[:, : slots * PATCH_FRAMES].reshape(len(mels), slots, PATCH_FRAMES, N_MELS)[:, list(TAGGED_SLOTS)]
    return tagger(patches.reshape(-1, PATCH_FRAMES, N_MELS)).reshape(len(mels), len(TAGGED_SLOTS), -1)


def path_key(path: str | os.PathLike) -> str:
    """A cache key for a file that has no manifest sha256: its path, size and modification time."""
    stat = Path(path).stat()
    return hashlib.sha256(f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()


def featurise(sources: list[SongSource], cache: str | os.PathLike, *, tagger=None, log=print,
              max_windows: int = MAX_WINDOWS_PER_SONG) -> dict[str, np.ndarray]:
    """Slot logits of every source, from ``cache`` (an ``.npz``) where present, computed and saved otherwise.

    Returns
    -------
    dict of str to numpy.ndarray
        ``key`` -> shape (windows, 2, 100).
    """
    cache = Path(cache)
    stored: dict[str, np.ndarray] = {}
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            stored = {k: data[k] for k in data.files}
    missing = [s for s in sources if s.key not in stored]
    for number, source in enumerate(missing, start=1):
        tagger = tagger or LiteRtTagger.build()
        stored[source.key] = song_slot_logits(source.path, tagger, max_windows=max_windows)
        log(f"{number}/{len(missing)} {source.path}")
        if number % 3 == 0 or number == len(missing):
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, **stored)
    return {s.key: stored[s.key] for s in sources}
