"""Turn a trained Keras model into a model bundle (Keras + LiteRT forms + metadata)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app.core.bundle import KERAS_NAME, ModelBundle, save_bundle
from urdu_genre_app.core.errors import ModelBundleError
from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.novelty import FEATURE_OUTPUT, PROBABILITY_OUTPUT, NoveltyCalibration
from urdu_genre_app.core.windows import WindowPolicy


def penultimate_output(model):
    """The penultimate features of a window model, as a tensor of its graph, and the layer that maps them to genres.

    The one rule for "penultimate": the input of the layer that computes the
    model's output. When that layer is itself a model (musicnn's head, joined
    behind its backbone by :func:`~training.musicnn.genre_model.assemble_genre_model`),
    the rule applies inside it: the features are the input of the head's own
    last layer, computed from what the joined graph feeds the head.

    Parameters
    ----------
    model : keras.Model
        Functional, one output.

    Returns
    -------
    features : KerasTensor
        Shape ``(None, d)``, reachable from ``model.inputs``.
    last : keras.layers.Layer
        The layer mapping them to the output (a softmax ``Dense`` in every family).
    """
    import keras

    # The output tensor's history names the operation (and its call) that made it: with a nested model
    # called once in the outer graph, ``layer.input`` would name the nested model's own Input instead.
    operation, node_index, _ = model.outputs[0]._keras_history
    (fed,) = operation._inbound_nodes[node_index].input_tensors
    if not isinstance(operation, keras.Model):
        return fed, operation
    inner, last = penultimate_output(operation)
    return keras.Model(operation.inputs, inner, name=f"{operation.name}_features")(fed), last


def feature_model(model):
    """A Keras model with two outputs: the original probabilities and the penultimate features.

    What a bundle with a novelty check converts to LiteRT (the check reads the features).

    Parameters
    ----------
    model : keras.Model
        Trained; its last layer (or its nested last model's last layer) maps the penultimate
        features to the genre probabilities (:func:`penultimate_output`).

    Returns
    -------
    keras.Model
        Same input and weights; outputs ``{"genre": probabilities, "features": h}``.
    """
    import keras

    penultimate, _ = penultimate_output(model)
    return keras.Model(model.inputs, {PROBABILITY_OUTPUT: model.outputs[0], FEATURE_OUTPUT: penultimate})


def keras_to_tflite(model) -> bytes:
    """Convert a Keras model to a float32 LiteRT flatbuffer (no quantisation).

    The batch dimension stays dynamic so the classifier can score any number
    of windows in one call.
    """
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "saved_model"
        model.export(str(saved), format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
        return converter.convert()


def keras_to_bytes(model) -> bytes:
    """The ``.keras`` archive of a model's architecture and weights, without optimizer state.

    Keras 3 saves a compiled model's optimizer slots (Adam keeps two per
    weight: twice the model's size again); an uncompiled copy carries only
    what inference and fine-tuning need. The copy is rebuilt from the
    model's config because ``keras.models.clone_model`` compiles its clone
    like the original since Keras 3.x (3.15 here), which brought the slots
    back (a 16 MB bundle instead of 8 MB).
    """
    clone = type(model).from_config(model.get_config())
    clone.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / KERAS_NAME
        clone.save(path)
        return path.read_bytes()


def export_bundle(
    model,
    path: str | os.PathLike,
    *,
    labels: list[str],
    feature_params: FeatureParams,
    feature_mean: np.ndarray,
    feature_std: np.ndarray,
    window_policy: WindowPolicy = WindowPolicy(),
    architecture: str = "bn_cnn",
    architecture_options: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    novelty: NoveltyCalibration | None = None,
    keras_model_bytes: bytes | None = None,
) -> ModelBundle:
    """Write a trained model and everything needed to use it as one bundle file.

    Parameters
    ----------
    model : keras.Model
        Trained; input ``feature_params.input_shape``, softmax over ``labels``.
    path : str or os.PathLike
        Destination ``.ugm`` file (written atomically).
    labels : list of str
        Class names in output order.
    feature_params : FeatureParams
        The MFCC parameters the model was trained with.
    feature_mean, feature_std : numpy.ndarray, shape (n_mfcc,)
        Standardisation computed on the training windows.
    window_policy : WindowPolicy
        How inference cuts songs.
    architecture : str
        Model family name.
    architecture_options : dict, optional
        Family settings the model applies and what the classifier should know of it, recorded in
        ``bundle.json`` (:meth:`training.families.ModelFamily.runtime_options`; a re-export passes
        the bundle's own).
    provenance, metrics : dict, optional
        Stored as given (must be JSON-serialisable).
    novelty : NoveltyCalibration, optional
        The fitted "not a genre this model knows" check (:mod:`training.calibrate`). With it, the
        LiteRT model also outputs the penultimate features the check needs (:func:`feature_model`).
    keras_model_bytes : bytes, optional
        The ``.keras`` archive to store as is (re-exporting a bundle keeps its Keras half byte for byte).

    Returns
    -------
    ModelBundle
        What was written, with ``path`` set.
    """
    bundle = ModelBundle(
        labels=list(labels),
        feature_params=feature_params,
        feature_mean=np.asarray(feature_mean, dtype=np.float32),
        feature_std=np.asarray(feature_std, dtype=np.float32),
        window_policy=window_policy,
        tflite_model=keras_to_tflite(feature_model(model) if novelty is not None else model),
        keras_model=keras_model_bytes if keras_model_bytes is not None else keras_to_bytes(model),
        architecture=architecture,
        architecture_options=dict(architecture_options or {}),
        provenance=dict(provenance or {}),
        metrics=dict(metrics or {}),
        novelty=novelty,
    )
    save_bundle(bundle, path)
    return bundle


def keras_model_from_bundle(bundle: ModelBundle):
    """Load the bundle's Keras model in safe mode (imports TensorFlow; training only).

    Raises
    ------
    ModelBundleError
        The bundle stores no Keras model, or Keras refuses it (safe mode
        rejects archives that would run arbitrary code, e.g. lambda layers).
    """
    path = bundle.path or Path("<bundle>")
    if bundle.keras_model is None:
        raise ModelBundleError(path, "stores no Keras model (it cannot be fine-tuned)")
    import keras

    with tempfile.TemporaryDirectory() as folder:
        keras_path = Path(folder) / KERAS_NAME
        keras_path.write_bytes(bundle.keras_model)
        try:
            return keras.models.load_model(keras_path, compile=False, safe_mode=True)
        except Exception as error:  # Keras raises many types for a bad archive
            raise ModelBundleError(path, f"its Keras model could not be loaded safely ({error})") from error
