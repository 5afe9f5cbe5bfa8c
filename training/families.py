"""Model families: one object per family, all in one registry (after MusicBrainz Picard's ``FormatRegistry``).

A *family* is everything the app knows about one kind of model: its name and
title, how it is built, which features it reads, how a song is cut into
windows for it, how it is trained, scored, fine-tuned and exported, how its
"not a genre this model knows" check is fitted, and what it needs installed.
The pipeline (:mod:`training.pipeline`), ``urdu-genre train``
(:mod:`training.cli`), the Training tab's family list, the self-test and
fine-tuning (:mod:`training.finetune`, :mod:`training.improve`) ask the
registry (:data:`REGISTRY`); none of them compares a family's name.

Where the families live
-----------------------
* the paper's Table III (BN-CNN, GAP-CNN, VGG-16, logistic regression,
  XGBoost): :mod:`training.paper.family` (their networks: :mod:`training.models`);
* musicnn transfer: :mod:`training.musicnn.family`.

How to add a family
-------------------
1. Make a folder ``training/<yours>/`` (a package: an ``__init__.py``) with a
   ``family.py`` that subclasses :class:`ModelFamily`:

   * class attributes: ``name`` (what ``--model`` and ``bundle.json`` call
     it), ``title``, ``note``, ``in_app`` (offered by the Training tab),
     ``exportable``, ``requires`` (importable modules it needs),
     ``needs_user_files`` / ``selftest`` (what the self-test trains), ``standardise_features``,
     ``costly_windows`` (one window costs far more than a row of padding),
     ``novelty_unavailable`` (why its bundles have no not-a-genre check, until
     :meth:`~ModelFamily.novelty_check` fits one);
   * a Keras network on the run's windows needs only :meth:`ModelFamily.build`;
     override :meth:`~ModelFamily.feature_params` for features of its own,
     :meth:`~ModelFamily.window_policy` for how its bundles cut songs,
     :meth:`~ModelFamily.train` / :meth:`~ModelFamily.predict` for a recipe
     of its own (e.g. a head on frozen embeddings),
     :meth:`~ModelFamily.novelty_check` and :meth:`~ModelFamily.finetuner`
     where the window-model defaults do not fit, :meth:`~ModelFamily.validate`
     for its own options, :meth:`~ModelFamily.runtime_options` for what its
     bundles tell the classifier;
   * a family built on another (e.g. a head on musicnn's tagger outputs)
     subclasses it (:class:`training.musicnn.family.MusicnnFamily`) under a
     name of its own and overrides what differs.

2. End that module with ``FAMILIES = (YourFamily(),)``: the families it
   registers, in menu order.
3. Add ``"training.<yours>.family"`` to :data:`FAMILY_MODULES` below: the one
   line outside your folder. Registration is that list, nothing implicit.

Tests to write beside it: ``urdu-genre train --model <name>`` on a tiny
folder (``tests/audio_factory.write_labeled_folder``) writes a bundle that
classifies; ``--init-from`` that bundle fine-tunes it.

Importing this module is cheap: family modules import TensorFlow only inside
their methods, and are imported on the first question to the registry.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.inference import COSTLY_WINDOWS_OPTION
from urdu_genre_app.core.windows import WindowPolicy
from training.errors import TrainingConfigError

if TYPE_CHECKING:
    from training.extract import WindowSet
    from training.split import Split

#: Modules whose ``FAMILIES`` make up the registry, in menu order (see "How to add a family").
FAMILY_MODULES = (
    "training.paper.family",
    "training.musicnn.family",
    "training.realmusic.family",
)
#: The family a folder with enough songs trains when none is named: the paper's model.
DEFAULT_FAMILY = "bn_cnn"
#: The family a small folder trains when none is named: measured best from a few real songs (see
#: :func:`default_family_for`).
FEW_SONGS_FAMILY = "musicnn"
#: ``--model`` (and ``TrainingConfig.models``, alone) when the user chose no family: the folder decides
#: (:func:`default_family_for`, asked by the pipeline once the folder is scanned).
AUTO_FAMILY = "auto"
#: Windows per Keras predict call when scoring.
PREDICT_BATCH = 64


@dataclass
class PreparedFeatures:
    """One kind of features of a run's songs, split and standardised (families may differ: musicnn's log-mel).

    Attributes
    ----------
    params : FeatureParams
    windows : WindowSet
        Standardised in place (unless the family reads them raw).
    split : Split
    mean, std : numpy.ndarray, shape (n_features,), float32
        The standardisation applied (identity for a family with
        ``standardise_features = False``).
    cache : dict
        What a family computed from these windows and may reuse (musicnn: its
        patch embeddings); a family that changes its features' meaning (e.g.
        by moving its backbone) drops its entries.
    """

    params: FeatureParams
    windows: "WindowSet"
    split: "Split"
    mean: np.ndarray
    std: np.ndarray
    cache: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.cache is None:
            self.cache = {}


class ModelFamily:
    """One model family (see the module docstring for how to add one).

    The defaults describe a Keras network on the run's standardised windows:
    a subclass of that kind only implements :meth:`build`.

    Attributes
    ----------
    name : str
        What ``urdu-genre train --model`` and ``bundle.json`` call it.
    title : str
        Shown to users (the paper's Table III name where it has one).
    paper_accuracy : float or None
        Table III's accuracy (the paper's leaky split), for reports.
    in_app : bool
        Offered by the Training tab (trains on a CPU in minutes).
    note : str
        Words a menu adds after the title.
    exportable : bool
        Written as a bundle (a Keras model, converted to LiteRT).
    requires : tuple of str
        Importable modules it needs beyond the training package.
    needs_user_files : bool
        It needs a file the user supplies (VGG-16's weights): the self-test leaves it out.
    selftest : bool
        ``urdu-genre self-test`` trains it one epoch on its tiny folder (2 s windows); False where
        that cannot work or costs too long (musicnn: its patches are 3 s).
    standardise_features : bool
        Its windows are standardised per feature with the training windows' statistics.
    costly_windows : bool
        One window costs far more than a row of padding (a network over several
        patches); its bundles say so (:data:`~urdu_genre_app.core.inference.COSTLY_WINDOWS_OPTION`).
    novelty_unavailable : str
        Why its bundles carry no "not a genre this model knows" check, in words; empty when
        :meth:`novelty_check` fits one.
    trains_from_folder : bool
        It trains on a folder of labeled songs (``--model all`` / ``--compare`` include it); False for a
        family made by a script of its own (``musicnn_tags``: it needs the open-music corpus).
    """

    name: str = ""
    title: str = ""
    paper_accuracy: float | None = None
    in_app: bool = False
    note: str = ""
    exportable: bool = True
    requires: tuple[str, ...] = ("tensorflow",)
    needs_user_files: bool = False
    selftest: bool = True
    standardise_features: bool = True
    costly_windows: bool = False
    novelty_unavailable: str = ""
    trains_from_folder: bool = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    @property
    def label(self) -> str:
        """The title with its note, as a menu shows it: ``"BN-CNN (the paper's best)"``."""
        return f"{self.title} ({self.note})" if self.note else self.title

    def missing_requirements(self) -> str | None:
        """The first module of :attr:`requires` this installation lacks, or None."""
        for module in self.requires:
            try:
                if importlib.util.find_spec(module) is None:
                    return module
            except (ImportError, ValueError):
                return module
        return None

    def validate(self, config) -> None:
        """Refuse options of ``config`` (a :class:`~training.pipeline.TrainingConfig`) this family cannot use.

        Raises
        ------
        TrainingConfigError
        """

    # ------------------------------------------------------------------ features and windows
    def feature_params(self, params: FeatureParams) -> FeatureParams:
        """The features it is trained on, given the run's (their ``window_seconds`` is kept)."""
        return params

    def window_policy(self, params: FeatureParams) -> WindowPolicy:
        """How its bundles cut a song at inference (``params``: its own features)."""
        return WindowPolicy.for_features(params)

    def runtime_options(self, model) -> dict[str, Any]:
        """What its bundles declare in ``bundle.json``'s ``architecture_options`` for the classifier (Qt-free core)."""
        return {COSTLY_WINDOWS_OPTION: True} if self.costly_windows else {}

    # ------------------------------------------------------------------ training
    def build(self, input_shape: tuple[int, ...], num_classes: int, *, config=None):
        """A fresh, uncompiled model for windows of ``input_shape`` and ``num_classes`` genres.

        ``config`` is the run's :class:`~training.pipeline.TrainingConfig` (None: defaults).
        """
        raise NotImplementedError(f"the {self.name} family builds no model")

    def train(self, config, prepared: PreparedFeatures, observer, warm=None):
        """Fit a model on ``prepared``'s training split, validated on its validation split.

        Parameters
        ----------
        config : training.pipeline.TrainingConfig
        prepared : PreparedFeatures
            This family's features (:meth:`feature_params`), split and standardised.
        observer : TrainingObserver
        warm : training.finetune.WarmStart, optional
            Fine-tune this bundle's model instead of building one.

        Returns
        -------
        model : object
            What :meth:`predict` scores and the export writes.
        fit : training.fit.FitResult or None
        """
        import keras

        from training.fit import fit_keras_model

        windows, split = prepared.windows, prepared.split
        x, y = windows.features, windows.label
        keras.utils.set_random_seed(config.seed)
        if warm is not None:
            from training.finetune import warm_start_model

            model = warm_start_model(warm, freeze=config.freeze, seed=config.seed)
        else:
            model = self.build(prepared.params.input_shape, len(windows.labels), config=config)
        result = fit_keras_model(
            model, x_train=x[split.train], y_train=y[split.train], x_validation=x[split.validation],
            y_validation=y[split.validation], config=config.fit, observer=observer,
        )
        return model, result

    def predict(self, model, prepared: PreparedFeatures, rows: np.ndarray) -> np.ndarray:
        """Class probabilities of some of ``prepared``'s windows, shape ``(len(rows), n_classes)``, float32."""
        x = prepared.windows.features[rows]
        return np.asarray(model.predict(x[..., np.newaxis], batch_size=PREDICT_BATCH, verbose=0), dtype=np.float32)

    def novelty_check(self, model, *, params: FeatureParams, train: tuple[np.ndarray, np.ndarray],
                      validation: tuple[np.ndarray, np.ndarray], n_classes: int,
                      fitted_on: str = "") -> tuple[Any, dict[str, Any]]:
        """Fit its bundle's "not a genre this model knows" check and temperature (:mod:`training.calibrate`).

        Parameters
        ----------
        model : object
            Trained by :meth:`train` (or fine-tuned), as exported (:meth:`assemble`).
        params : FeatureParams
            The windows' features.
        train : (numpy.ndarray, numpy.ndarray)
            Clean windows the model was trained on, shape ``(n, frames, n_features)``
            standardised, and their labels: class means and covariance.
        validation : (numpy.ndarray, numpy.ndarray)
            Windows that set the scale, threshold and temperature (of held-out songs where there are any).
        n_classes : int
        fitted_on : str
            Words for the report on what the validation windows are, when they are not held-out songs.

        Returns
        -------
        calibration : NoveltyCalibration or None
            None when it cannot be fitted (the bundle then says the check is unavailable).
        report : dict
            Figures for the bundle's metrics, or ``{"unavailable": reason}``.
        """
        if self.novelty_unavailable:
            return None, {"unavailable": self.novelty_unavailable}
        from training.calibrate import calibrate_windows

        calibration, report = calibrate_windows(model, *train, *validation, n_classes=n_classes, params=params)
        if calibration is not None and fitted_on:
            report["validation"] = fitted_on
        return calibration, report

    def finetuner(self, warm, windows: "WindowSet", relay, freeze: str):
        """The object :func:`training.improve.improve_model` fine-tunes this family's bundles with.

        None (the default) means the whole window model is fine-tuned on the windows
        (:class:`training.improve.WindowModelTuner`); a family that fine-tunes otherwise returns an
        object with the same methods (musicnn: :class:`training.musicnn.family.HeadTuner`).
        """
        return None


class FamilyRegistry:
    """Every model family, by name, in menu order (one object each; see the module docstring).

    Parameters
    ----------
    modules : tuple of str
        Modules whose ``FAMILIES`` tuple is registered, in order, on first use.
    """

    def __init__(self, modules: tuple[str, ...] = ()) -> None:
        self._modules = tuple(modules)
        self._families: dict[str, ModelFamily] | None = None

    def _loaded(self) -> dict[str, ModelFamily]:
        if self._families is None:
            self._families = {}
            for module in self._modules:
                for family in importlib.import_module(module).FAMILIES:
                    self.register(family)
        return self._families

    def register(self, family: ModelFamily) -> ModelFamily:
        """Add a family (its name must be new); returns it.

        Raises
        ------
        ValueError
            A family of that name is registered already, or it has no name.
        """
        families = self._loaded()
        if not family.name:
            raise ValueError(f"{family!r} has no name")
        if family.name in families:
            raise ValueError(f"a model family called {family.name!r} is registered already")
        families[family.name] = family
        return family

    def __iter__(self) -> Iterator[ModelFamily]:
        return iter(tuple(self._loaded().values()))

    def __contains__(self, name: object) -> bool:
        return name in self._loaded()

    def __len__(self) -> int:
        return len(self._loaded())

    def names(self) -> tuple[str, ...]:
        """Every family's name, in menu order."""
        return tuple(self._loaded())

    def exportable_names(self) -> tuple[str, ...]:
        """Families whose models are written as bundles."""
        return tuple(f.name for f in self if f.exportable)

    def offered(self) -> tuple[ModelFamily, ...]:
        """Families the Training tab offers (:attr:`ModelFamily.in_app`)."""
        return tuple(f for f in self if f.in_app)

    def get(self, name: str) -> ModelFamily:
        """The family called ``name``.

        Raises
        ------
        TrainingConfigError
            No family has that name.
        """
        family = self._loaded().get(name)
        if family is None:
            raise TrainingConfigError(f"unknown model {name!r}; choose from {', '.join(self.names())}")
        return family

    def for_bundle(self, bundle) -> ModelFamily:
        """The family a bundle's model belongs to (its ``architecture``).

        Raises
        ------
        TrainingConfigError
            The bundle names a family this app does not have.
        """
        family = self._loaded().get(bundle.architecture)
        if family is None:
            where = f"{bundle.path}: " if getattr(bundle, "path", None) else ""
            raise TrainingConfigError(f"{where}its model is a {bundle.architecture!r}, a family this app cannot "
                                      f"train (it knows {', '.join(self.names())})")
        return family


#: The registry every part of the app asks.
REGISTRY = FamilyRegistry(FAMILY_MODULES)


def family(name: str) -> ModelFamily:
    """``REGISTRY.get(name)``."""
    return REGISTRY.get(name)


@dataclass(frozen=True)
class FamilyChoice:
    """The family trained when the user named none, and why (:func:`default_family_for`).

    Attributes
    ----------
    name : str
        The family's registry name.
    title : str
        Its title, as menus show it.
    reason : str
        Why, in words a user reads, starting "for a ... folder" (the CLI's log line, the Training tab's tooltip).
    small_folder : bool
        The folder is small (its smallest genre under the small-folder limit).
    """

    name: str
    title: str
    reason: str
    small_folder: bool

    def describe(self) -> str:
        """One line: ``"model: musicnn (musicnn transfer (MSD)), chosen automatically for a small folder ..."``."""
        return f"model: {self.name} ({self.title}), chosen automatically {self.reason}"


def default_family_for(smallest_genre_songs: int, small_folder_songs: int, *,
                       registry: FamilyRegistry | None = None) -> FamilyChoice:
    """The family to train when the user named none: musicnn for a small folder, the BN-CNN otherwise.

    A small folder is the one the pipeline trains on every song and
    cross-validates: its smallest genre has fewer than ``small_folder_songs``
    songs (:data:`training.split.SMALL_FOLDER_SONGS`; 0 never). Measured
    (``benchmarks/fewshot_families.py``, docs/TRAINING.md "Measured: which
    family learns best from a few real songs"): trained as a small folder on
    3 real open-music songs a class and judged on held-out artists' songs,
    musicnn named 89 % right (balanced accuracy, three draws: 83-94 %), the
    BN-CNN 67 % (56-78 %), logistic regression 37 %; at 5 songs a class 83 %
    against 50 %. musicnn's backbone has heard 200,000 real songs, so a few of
    the user's only have to fit its small head. A larger folder keeps the
    BN-CNN, the paper's model. Where musicnn cannot be used on this
    installation (:meth:`ModelFamily.missing_requirements`), a small folder
    gets the BN-CNN too, and the reason says so.

    Parameters
    ----------
    smallest_genre_songs : int
        Songs in the folder's smallest genre (:meth:`training.dataset.DatasetScan.smallest_genre_songs`).
    small_folder_songs : int
        The small-folder limit (``TrainingConfig.small_folder_songs``; 0 when songs are always held out).
    registry : FamilyRegistry, optional
        Where to look the families up (default :data:`REGISTRY`).

    Returns
    -------
    FamilyChoice
    """
    registry = registry or REGISTRY
    paper = registry.get(DEFAULT_FAMILY)
    songs = f"{smallest_genre_songs} song{'' if smallest_genre_songs == 1 else 's'} in its smallest genre"
    if not 0 < smallest_genre_songs < small_folder_songs:
        return FamilyChoice(paper.name, paper.title, f"for a folder that is not small ({songs}): the paper's model",
                            small_folder=False)
    small = f"for a small folder ({songs}, under {small_folder_songs})"
    few = registry.get(FEW_SONGS_FAMILY) if FEW_SONGS_FAMILY in registry else None
    missing = few.missing_requirements() if few is not None else f"the {FEW_SONGS_FAMILY} family"
    if missing is not None:
        return FamilyChoice(paper.name, paper.title, f"{small}: {FEW_SONGS_FAMILY} learns best there, but this "
                                                     f"installation cannot train it ({missing} is missing)",
                            small_folder=True)
    return FamilyChoice(few.name, few.title, f"{small}: it learns best from a few real songs (89 % against "
                                             "the BN-CNN's 67 % on held-out artists' songs at 3 songs a genre; "
                                             "docs/TRAINING.md)", small_folder=True)
