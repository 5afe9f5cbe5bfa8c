"""Model bundles: one file a user can copy, holding a model and all it needs.

A bundle (``*.ugm``) is a zip archive with:

``bundle.json``
    Metadata: format name and version, labels, :class:`FeatureParams`, the
    per-coefficient feature normalisation, :class:`WindowPolicy`, model
    architecture, provenance (what data, which seed, which command) and
    measured metrics, plus a SHA-256 of every other member; optionally
    (format 2) ``novelty``, the fitted "not a genre this model knows" check
    and probability temperature (:class:`~urdu_genre_app.core.novelty.NoveltyCalibration`);
    optionally ``architecture_options``, settings of the model family that its
    graph already applies, recorded for readers (musicnn: the patches a window
    pools). Older apps ignore that key, and its absence means the family's
    original behaviour.
``model.tflite``
    The fast inference form, run by LiteRT's interpreter (no TensorFlow).
    With ``novelty``, it has a second output: the penultimate features.
``model.keras``
    The Keras model, for fine-tuning and inspection; loaded only in safe mode.

Reading checks everything before anything is used and refuses a damaged,
foreign or unsafe file with :class:`ModelBundleError`; opening its model
(:func:`urdu_genre_app.core.inference.open_bundle`) checks the model against
the metadata. A bundle holds data only, never a live interpreter. No pickle
anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app.core.atomic import atomic_write
from urdu_genre_app.core.bundle_schema import MAX_METADATA_BYTES, BundleMetadataError, parse_metadata, validate_metadata
from urdu_genre_app.core.errors import FeatureParameterError, ModelBundleError
from urdu_genre_app.core.features import FEATURE_MFCC, FeatureParams
from urdu_genre_app.core.novelty import NoveltyCalibration
from urdu_genre_app.core.windows import WindowPolicy

BUNDLE_FORMAT = "urdu-genre-model"
#: Newest format this app reads and writes. Format 2 adds the optional ``novelty``
#: member of bundle.json (and the LiteRT model's second output) and records which
#: feature the model reads (``features.feature``: MFCC or log-mel; format 1 bundles
#: are all MFCC). A plain MFCC bundle without a novelty check is still written as
#: format 1, so older apps keep reading it.
BUNDLE_VERSION = 2
BUNDLE_SUFFIX = ".ugm"
METADATA_NAME = "bundle.json"
TFLITE_NAME = "model.tflite"
KERAS_NAME = "model.keras"
#: Refuse members bigger than this (a zip bomb, or not our file).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
_ALLOWED_MEMBERS = {METADATA_NAME, TFLITE_NAME, KERAS_NAME}
#: ``metrics`` key of a song accuracy measured otherwise than on a held-out test split (cross-validation
#: of a small folder, a fine-tune's cross-validated "after"): ``song_accuracy``, ``songs``, ``method``
#: and ``interval`` (95 %, ``[low, high]``). What every place that shows the model says of its accuracy.
MEASURED_ACCURACY = "measured_accuracy"


@dataclass
class ModelBundle:
    """A loaded (or about to be written) model bundle.

    Attributes
    ----------
    labels : list of str
        Class names, in the model's output order.
    feature_params : FeatureParams
        Parameters of :func:`urdu_genre_app.core.features.mfcc` the model was
        trained with.
    feature_mean, feature_std : numpy.ndarray, shape (n_features,), float32
        Per-coefficient (or per-band) standardisation applied to the features before the model.
    window_policy : WindowPolicy
        How songs are cut into windows at inference.
    tflite_model : bytes
        The LiteRT flatbuffer.
    keras_model : bytes or None
        The ``.keras`` archive, if stored.
    architecture : str
        Model family, e.g. ``"bn_cnn"``.
    architecture_options : dict
        Family settings the model's graph applies (musicnn:
        ``patches_per_window``); empty for bundles that predate them.
    provenance : dict
        Where the model came from: ``trained_on`` (``"synthetic"`` or
        ``"user"``), ``description``, ``created``, ``seed``, ``command``,
        ``dataset`` and anything else worth keeping.
    metrics : dict
        Measured results (song-level test accuracy, confusion matrix, ...).
    path : pathlib.Path or None
        Where it was loaded from.
    novelty : NoveltyCalibration or None
        The "not a genre this model knows" check and temperature; None for
        bundles made before it existed (the check is then unavailable).
    """

    labels: list[str]
    feature_params: FeatureParams
    feature_mean: np.ndarray
    feature_std: np.ndarray
    window_policy: WindowPolicy
    tflite_model: bytes
    keras_model: bytes | None = None
    architecture: str = "bn_cnn"
    architecture_options: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    novelty: NoveltyCalibration | None = field(default=None, repr=False, compare=False)

    @property
    def is_synthetic(self) -> bool:
        """True when the model was trained on the project's synthetic corpus."""
        return self.provenance.get("trained_on") == "synthetic"

    @property
    def display_name(self) -> str:
        """Short name for window titles and reports."""
        name = self.provenance.get("name") or (self.path.stem if self.path else self.architecture)
        return str(name)

    @property
    def test_accuracy(self) -> float | None:
        """Song accuracy in [0, 1] on songs the model never trained on, when it was measured."""
        measured = self.metrics.get(MEASURED_ACCURACY)
        value = measured.get("song_accuracy") if isinstance(measured, dict) else None
        if value is None:
            value = self.metrics.get("song_accuracy")
        return float(value) if value is not None else None

    @property
    def accuracy_text(self) -> str | None:
        """The measured accuracy and how it was measured, in words (None when not measured).

        ``"80% song accuracy (5-fold cross-validation on 10 songs; 95 % sure it is 49-94%)"``
        for :data:`MEASURED_ACCURACY`; else the test figure, with the bundle's own words for what it
        counts where its metrics carry them (``song_accuracy_is``), or ``"92.6% song-level test accuracy"``.
        """
        measured = self.metrics.get(MEASURED_ACCURACY)
        if isinstance(measured, dict) and measured.get("song_accuracy") is not None:
            text = f"{float(measured['song_accuracy']):.0%} song accuracy ({measured.get('method', 'measured')}"
            if measured.get("songs"):
                text += f" on {int(measured['songs'])} songs"
            interval = measured.get("interval")
            if isinstance(interval, list) and len(interval) == 2:
                text += f"; 95 % sure it is {float(interval[0]):.0%}-{float(interval[1]):.0%}"
            return text + ")"
        accuracy = self.test_accuracy
        if accuracy is None:
            return None
        measured_as = self.metrics.get("song_accuracy_is")
        if isinstance(measured_as, str) and measured_as:  # a bundle that says what its figure counts
            return f"{accuracy:.1%} song accuracy ({measured_as})"
        return f"{accuracy:.1%} song-level test accuracy"

    def describe(self) -> str:
        """One line that says what the model is and how good it measured."""
        parts = [self.display_name, f"{self.architecture}", f"{len(self.labels)} genres"]
        if self.is_synthetic:
            parts.append("trained on SYNTHETIC audio, not real songs")
        elif self.provenance.get("trained_on"):
            parts.append(f"trained on {self.provenance['trained_on']} data")
        if self.accuracy_text is not None:
            parts.append(self.accuracy_text)
        return "; ".join(parts)

    def metadata(self) -> dict[str, Any]:
        """The JSON document stored as ``bundle.json`` (without checksums)."""
        version = BUNDLE_VERSION if self.novelty is not None or self.feature_params.feature != FEATURE_MFCC else 1
        features = self.feature_params.to_dict()
        if version == 1:
            features.pop("feature")  # format 1 readers refuse unknown feature keys; all format 1 bundles are MFCC
        data = {
            "format": BUNDLE_FORMAT,
            "format_version": version,
            "labels": list(self.labels),
            "architecture": self.architecture,
            **({"architecture_options": dict(self.architecture_options)} if self.architecture_options else {}),
            "features": features,
            "normalization": {
                "mean": [float(v) for v in self.feature_mean],
                "std": [float(v) for v in self.feature_std],
            },
            "window_policy": self.window_policy.to_dict(),
            "provenance": self.provenance,
            "metrics": self.metrics,
        }
        if self.novelty is not None:
            data["novelty"] = self.novelty.to_dict()
        return data

    def normalise(self, features: np.ndarray) -> np.ndarray:
        """Standardise MFCCs of shape (..., frames, n_mfcc) as at training time."""
        return (features - self.feature_mean) / self.feature_std


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_bundle(bundle: ModelBundle, path: str | os.PathLike) -> Path:
    """Write a bundle atomically (see :func:`~urdu_genre_app.core.atomic.atomic_write`).

    Parameters
    ----------
    bundle : ModelBundle
        What to write.
    path : str or os.PathLike
        Destination; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    members = {TFLITE_NAME: bundle.tflite_model}
    if bundle.keras_model is not None:
        members[KERAS_NAME] = bundle.keras_model
    metadata = bundle.metadata()
    metadata["checksums"] = {name: _sha256(data) for name, data in members.items()}
    with atomic_write(path) as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(METADATA_NAME, json.dumps(metadata, indent=2, ensure_ascii=False))
            for name, data in members.items():
                # Float weights barely compress; stored members load faster.
                archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    bundle.path = path
    return path


def _require(condition: bool, path: Path, reason: str) -> None:
    if not condition:
        raise ModelBundleError(path, reason)


def load_bundle(path: str | os.PathLike, *, with_keras: bool = True) -> ModelBundle:
    """Read and check a bundle.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.ugm`` file.
    with_keras : bool
        Also read (and checksum) the Keras model. Classifying needs only the
        LiteRT model, so the classify paths skip the other half of the file.

    Returns
    -------
    ModelBundle

    Raises
    ------
    ModelBundleError
        Missing file, not a zip, not our format, a newer format version,
        unexpected or oversized members, checksum mismatch, or inconsistent
        metadata. The model itself is opened, and its shapes checked against
        the metadata, by :func:`urdu_genre_app.core.inference.open_bundle`
        (or the :class:`~urdu_genre_app.core.classifier.Classifier`).
    """
    path = Path(path)
    _require(path.exists(), path, "no such model file")
    _require(path.is_file(), path, "is not a file (a model bundle is one .ugm file)")
    _require(zipfile.is_zipfile(path), path, "is not a model bundle (not a .ugm archive, or damaged)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            _require(METADATA_NAME in infos, path, "is not an Urdu Genre model bundle (no bundle.json)")
            unexpected = set(infos) - _ALLOWED_MEMBERS
            _require(not unexpected, path, f"holds unexpected files {sorted(unexpected)}; refusing it")
            for info in infos.values():
                _require(info.file_size <= MAX_MEMBER_BYTES, path, f"member {info.filename} is implausibly large")
            # Checked before reading: 400 MB of JSON compress into a few MB.
            _require(infos[METADATA_NAME].file_size <= MAX_METADATA_BYTES, path,
                     f"bundle.json is {infos[METADATA_NAME].file_size} bytes, more than a bundle's may be")
            wanted = [name for name in infos if with_keras or name != KERAS_NAME]
            members = {name: archive.read(name) for name in wanted}
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise ModelBundleError(path, f"the archive is damaged ({error})") from error
    try:
        metadata = parse_metadata(members[METADATA_NAME])
        _require(metadata.get("format") == BUNDLE_FORMAT, path,
                 "is not an Urdu Genre model bundle (wrong format tag)")
        version = metadata.get("format_version")
        _require(isinstance(version, int), path, "bundle.json has no format version")
        _require(
            version <= BUNDLE_VERSION,
            path,
            f"was made by a newer version of the app (bundle format {version}, this app reads up to {BUNDLE_VERSION})",
        )
        validate_metadata(metadata)
    except BundleMetadataError as error:
        raise ModelBundleError(path, str(error)) from None
    checksums = metadata.get("checksums", {})
    _require(TFLITE_NAME in members, path, "holds no model.tflite")
    for name, data in members.items():
        if name == METADATA_NAME:
            continue
        _require(name in checksums, path, f"{name} has no checksum in bundle.json")
        _require(_sha256(data) == checksums[name], path, f"{name} is corrupt (checksum mismatch)")
    try:
        labels = metadata["labels"]
        _require(
            isinstance(labels, list) and len(labels) >= 2 and all(isinstance(x, str) and x for x in labels),
            path,
            "labels must be a list of at least two names",
        )
        _require(len(set(labels)) == len(labels), path, "labels must be unique")
        params = FeatureParams.from_dict(metadata["features"])
        policy = WindowPolicy.from_dict(metadata["window_policy"])
        mean = np.asarray(metadata["normalization"]["mean"], dtype=np.float32)
        std = np.asarray(metadata["normalization"]["std"], dtype=np.float32)
    except (KeyError, TypeError, FeatureParameterError, ValueError) as error:
        raise ModelBundleError(path, f"bundle.json is incomplete or invalid ({error})") from error
    options = metadata.get("architecture_options") or {}
    _require(isinstance(options, dict), path, "bundle.json's architecture_options is not a JSON object")
    novelty = None
    if metadata.get("novelty") is not None:
        try:
            novelty = NoveltyCalibration.from_dict(metadata["novelty"], n_classes=len(labels))
        except (KeyError, TypeError, ValueError) as error:
            raise ModelBundleError(path, f"its novelty check in bundle.json is invalid ({error})") from error
    _require(mean.shape == std.shape == (params.n_features,), path, "normalisation does not match the features")
    _require(bool(np.all(np.isfinite(mean)) and np.all(std > 0)), path, "normalisation values are invalid")
    bundle = ModelBundle(
        labels=labels,
        feature_params=params,
        feature_mean=mean,
        feature_std=std,
        window_policy=policy,
        tflite_model=members[TFLITE_NAME],
        keras_model=members.get(KERAS_NAME),
        architecture=str(metadata.get("architecture", "unknown")),
        architecture_options=dict(options),
        provenance=dict(metadata.get("provenance") or {}),
        metrics=dict(metadata.get("metrics") or {}),
        path=path,
        novelty=novelty,
    )
    return bundle


#: Free bytes a bundle's folder must have before training starts: twice the largest
#: shipped bundle (8.3 MB), with room for the temporary copy an atomic save writes.
MIN_FREE_BYTES_FOR_BUNDLE = 64 << 20


def is_bundle_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is a zip archive holding a ``bundle.json`` (a model bundle, perhaps a damaged one)."""
    try:
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            return METADATA_NAME in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def bundle_destination_problem(
    path: str | os.PathLike, *, force: bool = False, min_free_bytes: int = MIN_FREE_BYTES_FOR_BUNDLE
) -> str | None:
    """Why a bundle could not be saved at ``path``, checked before the work that makes it; None when it can.

    Checks, in order: the path is not a folder (nor a FIFO or device); an
    existing file there is a model bundle, unless ``force`` (an unrelated
    file is never replaced silently); the nearest existing folder on the way
    is a folder, and a file can really be created in it (a read-only disk,
    a folder without permission: the check writes and removes an empty
    temporary file, so it holds for root and for any file system); it has at
    least ``min_free_bytes`` free where the system says (``statvfs``).

    Parameters
    ----------
    path : str or os.PathLike
        Where the bundle will be written.
    force : bool
        Allow replacing an existing file that is not a bundle.
    min_free_bytes : int
        Free space the folder needs.

    Returns
    -------
    str or None
        One sentence (naming no path: the caller puts it in front), or None.
    """
    import errno
    import stat
    import tempfile

    path = Path(path).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        return f"cannot be checked ({error.strerror or error})"
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            return f"is a folder; give a file name for the bundle, such as {path / ('model' + BUNDLE_SUFFIX)}"
        if not stat.S_ISREG(info.st_mode):
            return "is not a regular file (a FIFO or a device), so no bundle can be written there"
        if not force and not is_bundle_file(path):
            return "exists and is not a model bundle; it was left as it is (pass --force to replace it)"
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot be made: {folder} is a file, not a folder"
    try:
        handle, probe = tempfile.mkstemp(prefix=".urdu-genre-write-check.", dir=folder)
    except OSError as error:
        reason = {errno.EROFS: "the disk or folder is read-only", errno.EACCES: "permission denied",
                  errno.EPERM: "permission denied", errno.ENOSPC: "the disk is full"}.get(
            error.errno, error.strerror or str(error))
        return f"cannot be written in {folder}: {reason}"
    os.close(handle)
    os.unlink(probe)
    try:
        usage = os.statvfs(folder)
    except (AttributeError, OSError):  # not POSIX, or not told: the save itself will say
        return None
    free = usage.f_bavail * usage.f_frsize
    if free < min_free_bytes:
        return (f"cannot be written in {folder}: only {free / 2**20:.1f} MB free, a bundle needs up to "
                f"{min_free_bytes / 2**20:.0f} MB")
    return None


__all__ = [
    "BUNDLE_SUFFIX",
    "ModelBundle",
    "bundle_destination_problem",
    "is_bundle_file",
    "load_bundle",
    "save_bundle",
]
