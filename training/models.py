"""Model zoo factories (Keras). Each takes the input shape and the number of classes.

Only the BN-CNN lives here for now; the rest of the paper's Table III joins it
in the training pipeline.
"""

from __future__ import annotations

#: Parameters of the paper's BN-CNN for 4 classes and a 1292 x 32 x 1 input.
PAPER_BN_CNN_PARAMETERS = 1_013_252


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
    outputs = layers.Dense(num_classes, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="bn_cnn")
