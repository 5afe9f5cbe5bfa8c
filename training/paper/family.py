"""The paper's Table III families: BN-CNN, GAP-CNN, VGG-16 transfer, logistic regression, XGBoost.

Each is a :class:`~training.families.ModelFamily` on the run's standardised
MFCC windows. The four Keras ones only say how they are built (their
networks are :mod:`training.models`); XGBoost trains and scores its own way
and is evaluated only (a bundle holds a LiteRT network).
"""

from __future__ import annotations


import numpy as np

from training.families import ModelFamily


class BnCnnFamily(ModelFamily):
    """The paper's best: :func:`training.models.build_bn_cnn`."""

    name, title, paper_accuracy, in_app, note = "bn_cnn", "BN-CNN", 0.926, True, "the paper's best"

    def build(self, input_shape, num_classes, *, config=None):
        from training.models import build_bn_cnn

        return build_bn_cnn(input_shape, num_classes, bn_momentum=_bn_momentum(config))


class GapCnnFamily(ModelFamily):
    """The paper's global-average-pooling CNN: :func:`training.models.build_gap_cnn`."""

    name, title, paper_accuracy, in_app = "gap_cnn", "GAP-CNN", 0.831, True

    def build(self, input_shape, num_classes, *, config=None):
        from training.models import build_gap_cnn

        return build_gap_cnn(input_shape, num_classes, bn_momentum=_bn_momentum(config))


class Vgg16Family(ModelFamily):
    """VGG-16 on the MFCC image replicated to 3 channels (:func:`training.models.build_vgg16`).

    Its ImageNet weights are a local file the user names (``--vgg-weights``),
    so the self-test leaves it out.
    """

    name, title, paper_accuracy = "vgg16", "VGG-16 transfer", 0.831
    needs_user_files = True

    def build(self, input_shape, num_classes, *, config=None):
        from training.models import build_vgg16

        return build_vgg16(input_shape, num_classes, weights=getattr(config, "vgg_weights", None))


class LogRegFamily(ModelFamily):
    """Logistic regression on pooled MFCC statistics, as a Keras model (:func:`training.models.build_logreg`)."""

    name, title, paper_accuracy, in_app = "logreg", "Logistic regression", 0.827, True

    def build(self, input_shape, num_classes, *, config=None):
        from training.models import build_logreg

        return build_logreg(input_shape, num_classes)


class XGBoostFamily(ModelFamily):
    """Gradient-boosted trees on pooled statistics (:class:`training.models.XGBoostWindowClassifier`), never exported."""

    name, title, paper_accuracy = "xgboost", "XGBoost", 0.818
    exportable = False
    requires = ("xgboost",)
    novelty_unavailable = "XGBoost models are evaluated only"

    def build(self, input_shape, num_classes, *, config=None):
        from training.models import XGBoostWindowClassifier

        return XGBoostWindowClassifier(num_classes=num_classes, seed=getattr(config, "seed", 0),
                                       n_jobs=getattr(config, "workers", None))

    def train(self, config, prepared, observer, warm=None):
        """Fit the booster, stopping early on the validation loss (one ``fit`` step)."""
        from training.observer import report_stage

        windows, split = prepared.windows, prepared.split
        x, y = windows.features, windows.label
        report_stage(observer, "fit", 0, 1)
        model = self.build(prepared.params.input_shape, len(windows.labels), config=config)
        model.fit(x[split.train], y[split.train], x[split.validation], y[split.validation])
        report_stage(observer, "fit", 1, 1)
        return model, None

    def predict(self, model, prepared, rows):
        return np.asarray(model.predict(prepared.windows.features[rows]), dtype=np.float32)


def _bn_momentum(config) -> float:
    fit = getattr(config, "fit", None)
    return fit.bn_momentum if fit is not None else 0.99


#: Registered by :mod:`training.families`, in Table III order.
FAMILIES = (BnCnnFamily(), GapCnnFamily(), Vgg16Family(), LogRegFamily(), XGBoostFamily())
