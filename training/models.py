"""Model zoo: the paper's Table III. Each factory takes the input shape and the number of classes.

* :func:`build_bn_cnn` -- the paper's BN-CNN, exactly (1,013,252 parameters).
* :func:`build_gap_cnn` -- its global-average-pooling CNN.
* :func:`build_vgg16` -- VGG-16 on the MFCC image replicated to 3 channels
  (random weights, or a LOCAL weights file: nothing is downloaded).
* :func:`build_logreg` -- logistic regression on pooled MFCC statistics, as a
  Keras model so it exports to a bundle.
* :class:`XGBoostWindowClassifier` -- XGBoost on pooled statistics; evaluated
  only, never exported (a bundle holds a LiteRT model).

These are networks only: the model *families* that build, train, score and
export them are :mod:`training.paper.family`, in the registry of
:mod:`training.families` (with musicnn transfer, :mod:`training.musicnn.family`).

TensorFlow/Keras and XGBoost are imported inside the functions, so importing
this module is cheap.
"""

from __future__ import annotations

#: Parameters of the paper's BN-CNN for 4 classes and a 1292 x 32 x 1 input.
PAPER_BN_CNN_PARAMETERS = 1_013_252
#: Name of every model's softmax output layer (fine-tuning finds the head by it: :mod:`training.finetune`).
OUTPUT_LAYER_NAME = "genre"


def build_bn_cnn(
    input_shape: tuple[int, int, int] = (1292, 32, 1), num_classes: int = 4, *, bn_momentum: float = 0.99
):
    """The paper's batch-normalised CNN (its Fig. 2), exactly.

    Three blocks of Conv2D (ReLU, valid padding) -> MaxPool (same padding) ->
    BatchNormalization, then Flatten -> Dense 64 ReLU -> Dense softmax.

    Parameters
    ----------
    input_shape : tuple of int
        ``(frames, n_mfcc, 1)``: time by coefficient by channel.
    num_classes : int
        Number of genres.
    bn_momentum : float
        Moving-average momentum of the BatchNorm statistics used at inference.
        Keras's 0.99 (the paper's) needs a few hundred steps to settle; tiny
        data sets train with less.

    Returns
    -------
    keras.Model
        Uncompiled; 1,013,252 parameters for the paper's shape and 4 classes.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="mfcc")
    x = inputs
    for filters, kernel, pool in ((64, 3, 3), (32, 3, 3), (32, 2, 2)):
        x = layers.Conv2D(filters, kernel, padding="valid", activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=pool, strides=2, padding="same")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name=OUTPUT_LAYER_NAME)(x)
    return keras.Model(inputs, outputs, name="bn_cnn")


# --------------------------------------------------------------------------
# The rest of the paper's Table III
# --------------------------------------------------------------------------
def build_gap_cnn(
    input_shape: tuple[int, int, int] = (1292, 32, 1), num_classes: int = 4, *, bn_momentum: float = 0.99
):
    """The paper's global-average-pooling CNN (its second model).

    Block 1 as the BN-CNN's (Conv2D 64 3x3 -> MaxPool 3x3 stride 2 -> BatchNorm);
    then a 1x1 Conv2D (64) before a 3x3 Conv2D (64), and a 1x1 Conv2D (64)
    before a 2x2 Conv2D (32), each pair followed by a stride-1 max-pool and
    BatchNorm; a final 2x2 Conv2D with one filter per class, max-pool and
    BatchNorm; GlobalAveragePooling and softmax instead of dense layers.

    Parameters
    ----------
    input_shape, num_classes, bn_momentum
        As for :func:`build_bn_cnn`.

    Returns
    -------
    keras.Model
        Uncompiled.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="mfcc")
    x = layers.Conv2D(64, 3, padding="valid", activation="relu")(inputs)
    x = layers.MaxPooling2D(pool_size=3, strides=2, padding="same")(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    for filters, kernel in ((64, 3), (32, 2)):
        x = layers.Conv2D(64, 1, activation="relu")(x)
        x = layers.Conv2D(filters, kernel, padding="valid", activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=kernel, strides=1, padding="same")(x)
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = layers.Conv2D(num_classes, 2, padding="valid")(x)
    x = layers.MaxPooling2D(pool_size=2, strides=1, padding="same")(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Activation("softmax", name=OUTPUT_LAYER_NAME)(x)
    return keras.Model(inputs, outputs, name="gap_cnn")


def build_vgg16(
    input_shape: tuple[int, int, int] = (1292, 32, 1),
    num_classes: int = 4,
    *,
    weights: str | None = None,
    freeze_base: bool = False,
    dense_units: int = 256,
):
    """VGG-16 transfer: the MFCC image replicated to 3 channels, VGG-16's convolutions, a small head.

    Parameters
    ----------
    input_shape, num_classes
        As for :func:`build_bn_cnn`; both sides of the image must be at least 32.
    weights : str, optional
        Path of a LOCAL VGG-16 "no top" weights file (e.g. Keras's
        ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``) for the paper's
        ImageNet transfer, or None for random initialisation. The app never
        downloads anything, so ``"imagenet"`` is refused.
    freeze_base : bool
        Keep the VGG-16 convolutions fixed (pure feature extraction).
    dense_units : int
        Width of the hidden dense layer of the head.

    Returns
    -------
    keras.Model
        Uncompiled.

    Raises
    ------
    TrainingConfigError
        ``weights="imagenet"``, a missing weights file, or an input smaller
        than 32 x 32.
    """
    import os

    import keras
    from keras import layers

    from training.errors import TrainingConfigError

    if weights is not None:
        if str(weights).lower() == "imagenet":
            raise TrainingConfigError("VGG-16 weights are never downloaded: give the path of a local weights file")
        if not os.path.isfile(weights):
            raise TrainingConfigError(f"{weights}: no such VGG-16 weights file")
    if min(input_shape[:2]) < 32:
        raise TrainingConfigError(f"VGG-16 needs an input of at least 32 x 32, got {input_shape[:2]}")
    inputs = keras.Input(shape=input_shape, name="mfcc")
    rgb = layers.Concatenate(axis=-1, name="to_rgb")([inputs, inputs, inputs])
    base = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(*input_shape[:2], 3), pooling="avg"
    )
    if weights is not None:
        base.load_weights(weights)
    base.trainable = not freeze_base
    x = base(rgb)
    x = layers.Dense(dense_units, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name=OUTPUT_LAYER_NAME)(x)
    return keras.Model(inputs, outputs, name="vgg16_transfer")


def build_logreg(input_shape: tuple[int, int, int] = (1292, 32, 1), num_classes: int = 4):
    """Multinomial logistic regression on pooled MFCC statistics, as a Keras model.

    Each coefficient's mean, mean square and maximum over time (built-in
    pooling layers only, so the model exports to a bundle and loads in safe
    mode) feed one Dense softmax layer.

    Parameters
    ----------
    input_shape, num_classes
        As for :func:`build_bn_cnn`.

    Returns
    -------
    keras.Model
        Uncompiled; ``3 * n_mfcc * num_classes + num_classes`` parameters.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="mfcc")
    frames = layers.Reshape(input_shape[:2])(inputs)
    squares = layers.Multiply()([frames, frames])
    pooled = layers.Concatenate()(
        [layers.GlobalAveragePooling1D()(frames), layers.GlobalAveragePooling1D()(squares),
         layers.GlobalMaxPooling1D()(frames)]
    )
    outputs = layers.Dense(num_classes, activation="softmax", name=OUTPUT_LAYER_NAME)(pooled)
    return keras.Model(inputs, outputs, name="logreg")


def pooled_statistics(features):
    """Per-coefficient mean, standard deviation, minimum and maximum over time.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, frames, n_mfcc[, 1])
        Standardised MFCC images.

    Returns
    -------
    numpy.ndarray, shape (n, 4 * n_mfcc), float32
        The inputs of the XGBoost model.
    """
    import numpy as np

    x = np.asarray(features, dtype=np.float32)
    if x.ndim == 4:
        x = x[..., 0]
    return np.concatenate([x.mean(axis=1), x.std(axis=1), x.min(axis=1), x.max(axis=1)], axis=1)


class XGBoostWindowClassifier:
    """Gradient-boosted trees on :func:`pooled_statistics` (evaluation only: not exportable).

    Parameters
    ----------
    num_classes : int
        Number of genres.
    seed : int
        Seed of the booster.
    n_estimators, max_depth, learning_rate : int, int, float
        Booster size and step.
    n_jobs : int, optional
        Threads (default: CPU cores).
    """

    def __init__(
        self, *, num_classes: int, seed: int = 0, n_estimators: int = 300, max_depth: int = 4,
        learning_rate: float = 0.1, n_jobs: int | None = None,
    ) -> None:
        from xgboost import XGBClassifier

        self.num_classes = num_classes
        self._model = XGBClassifier(
            n_estimators=n_estimators, max_depth=max_depth, learning_rate=learning_rate, random_state=seed,
            n_jobs=n_jobs, tree_method="hist", objective="multi:softprob", num_class=num_classes,
            eval_metric="mlogloss", early_stopping_rounds=30,
        )

    def fit(self, x_train, y_train, x_validation, y_validation) -> "XGBoostWindowClassifier":
        """Fit on standardised windows, stopping early on the validation loss."""
        self._model.fit(
            pooled_statistics(x_train), y_train,
            eval_set=[(pooled_statistics(x_validation), y_validation)], verbose=False,
        )
        return self

    def predict(self, x):
        """Class probabilities, shape (n, num_classes), float32."""
        import numpy as np

        return np.asarray(self._model.predict_proba(pooled_statistics(x)), dtype=np.float32)

    def save_json(self, path) -> None:
        """Write the booster as XGBoost JSON (no pickle)."""
        self._model.get_booster().save_model(str(path))
