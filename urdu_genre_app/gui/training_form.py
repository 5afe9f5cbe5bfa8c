"""The Training tab's form: the songs folder, the model family, the recipe, where to save; remembered in settings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.components.training_state import (
    AUTOMATIC_MODEL,
    AUTOMATIC_TEXT,
    ScanChanged,
    TrainingForm,
    offered_model_families,
)
from urdu_genre_app.gui import settings as S


class TrainingFormView(QGroupBox):
    """The "What to train" box; the tab asks it for a :class:`TrainingForm` and locks it during a run."""

    #: The dataset path was typed (editing finished).
    dataset_edited = Signal()
    choose_dataset_requested = Signal()
    choose_output_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What to train", parent)
        self.dataset_edit = QLineEdit()
        self.dataset_edit.setPlaceholderText("A folder with one sub-folder per genre (or a .csv manifest)")
        self.dataset_edit.editingFinished.connect(self.dataset_edited)
        dataset_button = QPushButton("Choose folder…")
        dataset_button.clicked.connect(self.choose_dataset_requested)
        self.dataset_summary = QLabel("")
        self.dataset_summary.setWordWrap(True)
        self.dataset_summary.setTextFormat(Qt.TextFormat.RichText)
        self.dataset_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dataset_summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("A new file in the app's model folder")
        output_button = QPushButton("Save as…")
        output_button.clicked.connect(self.choose_output_requested)
        self.model_combo = QComboBox()
        families = offered_model_families()
        if families:  # first, and the default: the folder decides (its text says what, once it is scanned)
            self.model_combo.addItem(AUTOMATIC_TEXT, AUTOMATIC_MODEL)
        for family in families:
            self.model_combo.addItem(family.label, family.name)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 1000)
        self.epochs_spin.setToolTip("Most epochs; training stops earlier when validation stops improving")
        self.windows_spin = QSpinBox()
        self.windows_spin.setRange(1, 100)
        self.windows_spin.setToolTip("Random windows drawn from each song (the paper: 5)")
        self.window_seconds_spin = QDoubleSpinBox()
        self.window_seconds_spin.setRange(1.0, 120.0)
        self.window_seconds_spin.setDecimals(1)
        self.window_seconds_spin.setSuffix(" s")
        self.window_seconds_spin.setToolTip("Length of one MFCC window (the paper: 30 s); stored in the model")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("One seed drives the split, the windows and the weights")

        dataset_row = QHBoxLayout()
        dataset_row.addWidget(self.dataset_edit, 1)
        dataset_row.addWidget(dataset_button)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(output_button)
        form = QFormLayout()
        dataset_column = QVBoxLayout()
        dataset_column.setSpacing(2)
        dataset_column.addLayout(dataset_row)
        dataset_column.addWidget(self.dataset_summary)
        form.addRow("Songs:", dataset_column)
        form.addRow("Model:", self.model_combo)
        numbers = QHBoxLayout()
        for label, spin in (("Epochs", self.epochs_spin), ("Windows per song", self.windows_spin),
                            ("Window", self.window_seconds_spin), ("Seed", self.seed_spin)):
            numbers.addWidget(QLabel(label + ":"))
            numbers.addWidget(spin)
            numbers.addSpacing(12)
        numbers.addStretch(1)
        form.addRow("Recipe:", numbers)
        form.addRow("Save to:", output_row)
        self.setLayout(form)

    def show_scan(self, event: ScanChanged) -> None:
        """Show songs per genre (or why the folder cannot be used) and what *Automatic* trains on it."""
        self.dataset_summary.setText(event.html)
        index = self.model_combo.findData(AUTOMATIC_MODEL)
        if index >= 0:
            text, tooltip = event.automatic
            self.model_combo.setItemText(index, text)
            self.model_combo.setItemData(index, tooltip, Qt.ItemDataRole.ToolTipRole)

    def fields(self) -> tuple[QWidget, ...]:
        """Everything the user can change."""
        return (self.dataset_edit, self.output_edit, self.model_combo, self.epochs_spin, self.windows_spin,
                self.window_seconds_spin, self.seed_spin)

    def set_locked(self, locked: bool) -> None:
        """Freeze the form while a run uses it."""
        for widget in self.fields():
            widget.setEnabled(not locked)

    def form(self) -> TrainingForm:
        """What the form holds."""
        return TrainingForm(
            dataset=self.dataset_edit.text(), out=self.output_edit.text(), model=self.model_combo.currentData(),
            epochs=self.epochs_spin.value(), windows_per_song=self.windows_spin.value(),
            window_seconds=self.window_seconds_spin.value(), seed=self.seed_spin.value(),
        )

    def restore(self, settings: S.Settings, *, with_recipe: bool) -> None:
        """Fill the form from ``settings`` (the recipe only when training is installed: its defaults live there)."""
        self.dataset_edit.setText(settings.get(S.TRAIN_DATASET))
        if with_recipe:
            self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(settings.get(S.TRAIN_MODEL))))
            self.epochs_spin.setValue(settings.get(S.TRAIN_EPOCHS))
            self.windows_spin.setValue(settings.get(S.TRAIN_WINDOWS_PER_SONG))
            self.window_seconds_spin.setValue(settings.get(S.TRAIN_WINDOW_SECONDS))
            self.seed_spin.setValue(settings.get(S.TRAIN_SEED))

    def remember(self, settings: S.Settings) -> None:
        """Store the form in ``settings``."""
        settings.set(S.TRAIN_DATASET, self.dataset_edit.text().strip())
        settings.set(S.TRAIN_MODEL, self.model_combo.currentData())
        settings.set(S.TRAIN_EPOCHS, self.epochs_spin.value())
        settings.set(S.TRAIN_WINDOWS_PER_SONG, self.windows_spin.value())
        settings.set(S.TRAIN_WINDOW_SECONDS, self.window_seconds_spin.value())
        settings.set(S.TRAIN_SEED, self.seed_spin.value())
