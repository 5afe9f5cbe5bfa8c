"""Run a bundle's model with LiteRT's interpreter: no TensorFlow on the classify path.

Importing LiteRT takes ~0.13 s where TensorFlow takes ~5 s, and one batched
call over 10 windows ran in ~0.044 s against Keras ``predict``'s ~0.38 s on
the machines this project is measured on (outputs equal to 3e-7).
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

from urdu_genre_app.core.bundle import ModelBundle, load_bundle
from urdu_genre_app.core.errors import ModelBundleError
from urdu_genre_app.core.features import FEATURE_LOG_MEL
from urdu_genre_app.core.novelty import FEATURE_OUTPUT, PROBABILITY_OUTPUT


@contextlib.contextmanager
def _quiet_native_stderr():
    """Silence the C++ runtime's "Created TensorFlow Lite XNNPACK delegate" banner.

    It is written straight to file descriptor 2, which Python cannot filter;
    a CLI whose stderr carries one line per failed file must stay clean.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (e.g. a windowed frozen app)
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


#: ``bundle.json``'s ``architecture_options`` key a model family sets when one window runs a network over
#: several 3 s patches (musicnn: ~4 G multiply-adds a window, ~100x a BN-CNN window), so that a row of
#: padding costs more than re-allocating (``training.families.ModelFamily.costly_windows``).
COSTLY_WINDOWS_OPTION = "costly_windows"
#: ``architecture_options`` key of the 3 s patches one window's model pools (musicnn), where it says.
PATCHES_PER_WINDOW_OPTION = "patches_per_window"


def has_costly_windows(bundle: ModelBundle) -> bool:
    """Whether one window of ``bundle``'s model is costly (see :data:`COSTLY_WINDOWS_OPTION`).

    Bundles say so in ``architecture_options``; those written before the
    option do not, and among them only the log-mel ones (musicnn's) had
    costly windows, so the feature kind answers for them.
    """
    options = getattr(bundle, "architecture_options", None) or {}
    if COSTLY_WINDOWS_OPTION in options:
        return bool(options[COSTLY_WINDOWS_OPTION])
    return bundle.feature_params.feature == FEATURE_LOG_MEL


def _interpreter_class():
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter


class LiteRtModel:
    """A bundle's ``model.tflite``, ready to score batches of MFCC images.

    Parameters
    ----------
    bundle : ModelBundle
        Source of the flatbuffer, labels and expected input shape.
    num_threads : int, optional
        Interpreter threads; defaults to the CPU count.

    Attributes
    ----------
    costly_windows : bool
        The bundle's windows are costly (:func:`has_costly_windows`): a batch
        smaller than the one allocated is re-allocated for, not padded, and
        the classifier scores several windows a call.

    Raises
    ------
    ModelBundleError
        The flatbuffer does not load, or its input/output shapes disagree
        with the bundle's features and labels.
    """

    def __init__(self, bundle: ModelBundle, *, num_threads: int | None = None) -> None:
        path = bundle.path or "<bundle>"
        interpreter_class = _interpreter_class()
        try:
            with _quiet_native_stderr():
                self._interpreter = interpreter_class(
                    model_content=bundle.tflite_model, num_threads=num_threads or os.cpu_count() or 1
                )
        except (ValueError, RuntimeError) as error:
            raise ModelBundleError(path, f"its model.tflite is not a valid model ({error})") from error
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) not in (1, 2):
            raise ModelBundleError(path, "its model must have one input, and one output (or two with features)")
        self._input_index = inputs[0]["index"]
        self._feature_index: int | None = None
        self.feature_size = 0
        if len(outputs) == 1:
            probabilities = outputs[0]
        else:  # a calibrated bundle's model: outputs named by its signature
            named = _signature_outputs(self._interpreter)
            if set(named) != {PROBABILITY_OUTPUT, FEATURE_OUTPUT}:
                raise ModelBundleError(path, f"its model's two outputs must be named {PROBABILITY_OUTPUT!r} and "
                                             f"{FEATURE_OUTPUT!r}, not {sorted(named)}")
            probabilities, features = named[PROBABILITY_OUTPUT], named[FEATURE_OUTPUT]
            self._feature_index = features["index"]
            self.feature_size = int(features["shape"][-1])
        self._output_index = probabilities["index"]
        expected = tuple(bundle.feature_params.input_shape)
        actual = tuple(int(v) for v in inputs[0]["shape"][1:])
        if actual != expected:
            raise ModelBundleError(path, f"its model expects input {actual}, but its features give {expected}")
        n_outputs = int(probabilities["shape"][-1])
        if n_outputs != len(bundle.labels):
            raise ModelBundleError(path, f"its model has {n_outputs} outputs but {len(bundle.labels)} labels")
        novelty = getattr(bundle, "novelty", None)
        if novelty is not None and (self._feature_index is None or self.feature_size != novelty.feature_size):
            raise ModelBundleError(path, "its novelty check needs the model's penultimate features, which its "
                                         "model.tflite does not output (or not of the right size)")
        self._input_shape = expected
        self._batch = int(inputs[0]["shape"][0])
        self.costly_windows = has_costly_windows(bundle)
        try:
            with _quiet_native_stderr():
                self._interpreter.allocate_tensors()
        except RuntimeError as error:
            raise ModelBundleError(path, f"its model cannot be prepared for inference ({error})") from error
        self._lock = threading.Lock()  # an interpreter is not safe to share between threads

    @property
    def has_features(self) -> bool:
        """True when the model also outputs its penultimate features (a calibrated bundle)."""
        return self._feature_index is not None

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch of normalised MFCC images.

        Parameters
        ----------
        batch : numpy.ndarray, shape (n, frames, n_mfcc) or (n, frames, n_mfcc, 1)
            Standardised features (see :meth:`ModelBundle.normalise`).

        Returns
        -------
        numpy.ndarray, shape (n, n_classes), float32
            Softmax outputs, one row per window.
        """
        return self.predict_with_features(batch)[0]

    def predict_with_features(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Class probabilities and, when the model outputs them, penultimate features.

        Parameters
        ----------
        batch : numpy.ndarray, shape (n, frames, n_mfcc) or (n, frames, n_mfcc, 1)
            Standardised features.

        Returns
        -------
        probabilities : numpy.ndarray, shape (n, n_classes), float32
        features : numpy.ndarray of shape (n, d), float32, or None
            None when the model has no feature output (:attr:`has_features`).
        """
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim == 3:
            batch = batch[..., np.newaxis]
        if batch.shape[1:] != self._input_shape:
            raise ValueError(f"expected windows of shape {self._input_shape}, got {batch.shape[1:]}")
        count = batch.shape[0]
        with self._lock:
            if count < self._batch and not self.costly_windows:
                # Re-allocating tensors costs more than scoring a few rows of
                # zeros, so a smaller batch is padded to the allocated size.
                batch = np.concatenate([batch, np.zeros((self._batch - count, *self._input_shape), np.float32)])
            elif count != self._batch:
                self._interpreter.resize_tensor_input(self._input_index, [count, *self._input_shape])
                self._interpreter.allocate_tensors()
                self._batch = count
            self._interpreter.set_tensor(self._input_index, np.ascontiguousarray(batch))
            self._interpreter.invoke()
            probabilities = np.array(self._interpreter.get_tensor(self._output_index)[:count], dtype=np.float32)
            features = None
            if self._feature_index is not None:
                features = np.array(self._interpreter.get_tensor(self._feature_index)[:count], dtype=np.float32)
            return probabilities, features


def _signature_outputs(interpreter) -> dict[str, dict]:
    """Output details keyed by their names in the model's (only) signature."""
    try:
        return dict(interpreter.get_signature_runner().get_output_details())
    except (ValueError, RuntimeError):  # no signature: the outputs cannot be told apart
        return {}


def open_bundle(path: str | os.PathLike, *, with_keras: bool = False, num_threads: int | None = None
                ) -> tuple[ModelBundle, LiteRtModel]:
    """Read and check a bundle, then open its model and check it against the metadata.

    The opened model comes back beside the bundle, not inside it: a bundle is
    data that can be copied, compared and written; an interpreter is a live
    object bound to threads.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.ugm`` file.
    with_keras : bool
        Also read the Keras half (:func:`~urdu_genre_app.core.bundle.load_bundle`).
    num_threads : int, optional
        Interpreter threads (default: the CPU count).

    Returns
    -------
    bundle : ModelBundle
    model : LiteRtModel

    Raises
    ------
    ModelBundleError
        Everything :func:`~urdu_genre_app.core.bundle.load_bundle` refuses, and a model that does
        not load or whose shapes disagree with the bundle's features and labels.
    """
    bundle = load_bundle(path, with_keras=with_keras)
    return bundle, LiteRtModel(bundle, num_threads=num_threads)
