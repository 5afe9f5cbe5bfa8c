"""Audio made for tests, and a tiny model trained on it through the real code paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 22_050
#: Four sounds a small CNN tells apart at once; the labels name them.
TINY_LABELS = ["Tone", "Noise", "Clicks", "Sweep"]
TINY_WINDOW_SECONDS = 3.0


def make_sound(kind: str, seconds: float, *, seed: int = 0, sr: int = SR) -> np.ndarray:
    """Mono float32 test audio of one of :data:`TINY_LABELS`."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    if kind == "Tone":
        base = rng.uniform(180, 320)
        y = sum(np.sin(2 * np.pi * base * k * t) / k for k in (1, 1.5, 2))
    elif kind == "Noise":
        y = rng.standard_normal(n)
    elif kind == "Clicks":
        y = np.zeros(n)
        period = int(sr / rng.uniform(3, 6))
        for start in range(0, n, period):
            burst = np.exp(-np.arange(min(400, n - start)) / 60.0)
            y[start : start + burst.size] += burst * np.sin(2 * np.pi * 1500 * np.arange(burst.size) / sr)
    elif kind == "Sweep":
        period = rng.uniform(0.8, 1.5)
        freq = 300 + 2500 * ((t / period) % 1.0)
        y = np.sin(2 * np.pi * np.cumsum(freq) / sr)
    elif kind == "Chords":  # a chord every half second, each note with a few harmonics and a decay
        y = np.zeros(n)
        step = int(sr * rng.uniform(0.4, 0.6))
        for start in range(0, n, step):
            root = 110 * 2 ** (rng.integers(0, 12) / 12)
            seg = np.arange(min(step, n - start)) / sr
            envelope = np.exp(-seg * 3.0)
            for ratio in (1.0, 1.26, 1.5):
                y[start : start + seg.size] += envelope * sum(
                    np.sin(2 * np.pi * root * ratio * k * seg) / k**1.5 for k in (1, 2, 3, 4))
    else:
        raise ValueError(kind)
    y = y / (np.abs(y).max() + 1e-9) * 0.5
    return y.astype(np.float32)


def write_labeled_folder(
    root: Path, *, songs_per_genre: int = 5, seconds: float = 5.0, suffixes: tuple[str, ...] = (".wav",),
    seed: int = 0, labels: list[str] | None = None,
) -> Path:
    """A training dataset: one sub-folder per sound of ``labels`` (default :data:`TINY_LABELS`),
    ``songs_per_genre`` files each.

    File formats cycle through ``suffixes``; every song has its own seed.
    """
    root = Path(root)
    for g, kind in enumerate(labels or TINY_LABELS):
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(songs_per_genre):
            signal = make_sound(kind, seconds, seed=seed + 10 * g + i)
            write_audio(root / kind / f"{kind.lower()} {i}{suffixes[(g + i) % len(suffixes)]}", signal)
    return root


def write_audio(path: Path, signal: np.ndarray, sr: int = SR, *, channels: int = 1) -> Path:
    """Write ``signal`` in the format the suffix names (wav/flac/ogg via soundfile, else PyAV).

    ``signal`` is mono (copied to ``channels`` channels) or already (n, channels).
    """
    import soundfile as sf

    path = Path(path)
    if signal.ndim == 2:
        data, channels = signal, signal.shape[1]
    else:
        data = np.stack([signal] * channels, axis=1) if channels > 1 else signal
    suffix = path.suffix.lower()
    if suffix in (".wav", ".flac"):
        sf.write(path, data, sr)
    elif suffix == ".ogg":
        sf.write(path, data, sr, format="OGG", subtype="VORBIS")
    else:
        encode_with_pyav(path, data if data.ndim == 2 else signal, sr, channels=channels)
    return path


#: FFmpeg's names for the usual layouts; other counts get an unnamed "N channels" layout.
LAYOUT_NAMES = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def add_blank_video(container):
    """Add a 64 x 48 mpeg4 video stream at 10 frames/s to a PyAV output ``container``; returns the stream."""
    stream = container.add_stream("mpeg4", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    return stream


def mux_blank_video(container, stream, frames: int = 5) -> None:
    """Encode ``frames`` black frames into ``stream`` (from :func:`add_blank_video`) and flush it."""
    import av

    for i in range(frames):
        image = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), dtype=np.uint8), format="rgb24")
        image.pts = i
        for packet in stream.encode(image):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def encode_with_pyav(path: Path, signal: np.ndarray, sr: int, *, channels: int = 1, video: bool = False) -> Path:
    """Encode with FFmpeg through PyAV: mp3, m4a (AAC), opus, webm, mp4 (optionally with a video track),
    nut (planar 16-bit PCM, any channel count).

    ``signal`` is mono (copied to every channel) or (n, channels). Frames go to the encoder packed
    (PyAV cannot build planar frames of 8 channels or more); it converts them to its own format.
    """
    import av

    suffix = path.suffix.lower()
    codec, container_format, rate = {
        ".mp3": ("libmp3lame", "mp3", sr),
        ".m4a": ("aac", "mp4", sr),
        ".mp4": ("aac", "mp4", sr),
        ".opus": ("libopus", "ogg", 48_000),
        ".webm": ("libopus", "webm", 48_000),
        ".nut": ("pcm_s16le_planar", "nut", sr),
    }[suffix]
    frames = signal if signal.ndim == 2 else np.stack([signal] * channels, axis=1)
    channels = frames.shape[1]
    if rate != sr:
        import soxr

        frames = soxr.resample(frames, sr, rate).astype(np.float32)
    layout = LAYOUT_NAMES.get(channels, f"{channels} channels")
    with av.open(str(path), "w", format=container_format) as container:
        if video:
            vstream = add_blank_video(container)
        stream = container.add_stream(codec, rate=rate)
        stream.layout = layout
        if codec == "libopus" and channels > 8:
            stream.options = {"mapping_family": "255"}  # independent channels: Opus's surround maps stop at 7.1
        packed = np.ascontiguousarray(frames, dtype=np.float32)
        frame_size = 1024 if codec != "libopus" else 960
        for start in range(0, packed.shape[0], frame_size):
            frame = av.AudioFrame.from_ndarray(
                packed[start : start + frame_size].reshape(1, -1), format="flt", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if video:
            mux_blank_video(container, vstream)
    return path


#: Sounds of the calibrated tiny model: none of them is noise or a steady tone.
CALIBRATED_LABELS = ["Clicks", "Sweep", "Chords"]


def train_tiny_bundle(
    path: Path, *, epochs: int = 12, seed: int = 0, labels: list[str] | None = None, calibrate: bool = False
) -> Path:
    """Train a BN-CNN on 3 s windows of ``labels`` (default :data:`TINY_LABELS`) and export a bundle.

    With ``calibrate``, the bundle carries the "not a genre this model knows" check, fitted the way
    the training pipeline fits it (training windows' statistics, threshold and temperature from
    validation windows of other seeds).
    """
    import keras

    from training.export import export_bundle
    from training.models import build_bn_cnn
    from urdu_genre_app.core.features import FeatureParams, mfcc
    from urdu_genre_app.core.windows import WindowPolicy

    keras.utils.set_random_seed(seed)
    params = FeatureParams(window_seconds=TINY_WINDOW_SECONDS)
    kinds = list(labels or TINY_LABELS)

    def examples(first_seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        features, targets = [], []
        window = int(TINY_WINDOW_SECONDS * SR)
        for label_index, kind in enumerate(kinds):
            for example in range(count):
                seed = first_seed + 100 * label_index + example
                if calibrate:  # windows cut anywhere in a sound, as the classifier cuts them
                    offset = int(np.random.default_rng(seed).integers(0, window))
                    signal = make_sound(kind, 2 * TINY_WINDOW_SECONDS, seed=seed)[offset : offset + window]
                else:
                    signal = make_sound(kind, TINY_WINDOW_SECONDS, seed=seed)
                features.append(mfcc(signal, params))
                targets.append(label_index)
        return np.stack(features), np.array(targets)

    x, y = examples(0, 20 if calibrate else 12)
    mean, std = x.mean(axis=(0, 1)), x.std(axis=(0, 1)) + 1e-6
    model = build_bn_cnn(params.input_shape, len(kinds), bn_momentum=0.8)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(((x - mean) / std)[..., None], y, epochs=epochs, batch_size=4, verbose=0, shuffle=True)
    novelty = None
    if calibrate:
        from training.calibrate import calibrate_keras_model
        from urdu_genre_app.core.novelty import structure_lag_frames

        x_validation, y_validation = examples(50_000, 20)
        novelty = calibrate_keras_model(model, (x - mean) / std, y, (x_validation - mean) / std, y_validation,
                                        n_classes=len(kinds),
                                        structure_lag_frames=structure_lag_frames(params.sample_rate,
                                                                                  params.hop_length))
    export_bundle(
        model,
        path,
        labels=kinds,
        novelty=novelty,
        feature_params=params,
        feature_mean=mean,
        feature_std=std,
        window_policy=WindowPolicy(hop_seconds=TINY_WINDOW_SECONDS / 2),
        provenance={"trained_on": "test", "name": "tiny test model"},
    )
    return Path(path)
