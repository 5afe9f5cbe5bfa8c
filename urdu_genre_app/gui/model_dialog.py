"""The model's metadata, in a dialog: what it is, what it was trained on, how well it measured."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from urdu_genre_app.components.palette import SYNTHETIC_WARNING_COLOUR


def novelty_check_text(bundle) -> str:
    """Whether this model can tell a clip is no genre it knows, in words."""
    check = getattr(bundle, "novelty", None)
    if check is None:
        return ("unavailable: this model has no \"not like any genre this model knows\" check, "
                "so every song gets one of its genres")
    return (f"available: flags what is not like any genre this model knows "
            f"(calibrated to flag {check.flag_fraction:.0%} of validation windows; "
            f"probability temperature {check.temperature:.2f})")


def model_summary_html(bundle) -> str:
    """Rich text naming the model and, loudly, whether it was trained on synthetic audio."""
    accuracy_text = html.escape(bundle.accuracy_text or "accuracy not measured")
    name = html.escape(bundle.display_name)
    if bundle.is_synthetic:
        return (
            f"<b>{name}</b> — <span style='color:{SYNTHETIC_WARNING_COLOUR}; font-weight:bold'>"
            f"TRAINED ON SYNTHETIC AUDIO, not real songs</span> ({accuracy_text} on synthetic test songs)"
            f"{_no_check_note(bundle)}"
        )
    source = bundle.provenance.get("trained_on")
    trained = f"trained on {html.escape(str(source))} data; " if source else ""
    return f"<b>{name}</b> — {trained}{accuracy_text}{_no_check_note(bundle)}"


def _no_check_note(bundle) -> str:
    """A short note for the summary line when the bundle cannot flag a clip that is no genre it knows."""
    return "; not-a-genre check unavailable" if getattr(bundle, "novelty", None) is None else ""


class ModelInfoDialog(QDialog):
    """Shows a bundle's description and its full metadata."""

    def __init__(self, bundle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Model: {bundle.display_name}")
        self.resize(620, 520)
        summary = QLabel(model_summary_html(bundle))
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.TextFormat.RichText)
        description = QLabel(html.escape(bundle.describe()))
        description.setWordWrap(True)
        facts = [
            ("File", str(bundle.path) if bundle.path else "—"),
            ("Architecture", bundle.architecture),
            ("Genres", ", ".join(bundle.labels)),
            ("Window", f"{bundle.feature_params.window_seconds:g} s every {bundle.window_policy.hop_seconds:g} s"),
            ("Features", f"{bundle.feature_params.n_mfcc} MFCCs, {bundle.feature_params.sample_rate} Hz, "
                         f"FFT {bundle.feature_params.n_fft}, hop {bundle.feature_params.hop_length}"),
            ("Genre check", novelty_check_text(bundle)),
        ]
        table = QLabel("<table>" + "".join(
            f"<tr><td style='padding-right:12px'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
            for k, v in facts) + "</table>")
        table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details = QPlainTextEdit()
        details.setReadOnly(True)
        metadata = bundle.metadata()
        metadata.pop("normalization", None)
        details.setPlainText(json.dumps(metadata, indent=2, ensure_ascii=False))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(description)
        layout.addWidget(table)
        layout.addWidget(QLabel("Metadata (bundle.json):"))
        layout.addWidget(details, 1)
        layout.addWidget(buttons)
