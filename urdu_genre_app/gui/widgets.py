"""Small views: the inline message banner, the verdict with its per-genre bars, the level meter, an eliding menu."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.components.palette import genre_colour, unknown_colour
from urdu_genre_app.core.results import closest_text, not_one_of_text

_BANNER_STYLES = {
    "error": ("#fdecea", "#a4262c", "#611a15"),
    "warning": ("#fff4e5", "#b35c00", "#663c00"),
    "info": ("#e8f4fd", "#0b61a4", "#0d3c61"),
}


def show_message_box(parent: QWidget, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
    """Open a window-modal message box without blocking the event loop; return it."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class BannerWidget(QWidget):
    """An inline message above the content (error, warning or info), closable."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.kind = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        """The message shown (empty when hidden)."""
        return "" if self.isHidden() else self.label.text()

    def show_message(self, kind: str, text: str) -> None:
        """Show ``text`` styled as ``kind`` ("error", "warning" or "info")."""
        background, border, foreground = _BANNER_STYLES.get(kind, _BANNER_STYLES["info"])
        self.kind = kind
        self.setStyleSheet(
            f"#banner {{ background: {background}; border: 1px solid {border}; border-radius: 4px; }}"
            f"#banner QLabel {{ color: {foreground}; }}"
        )
        prefix = {"error": "Error: ", "warning": "Warning: "}.get(kind, "")
        self.label.setText(prefix + text)
        self.show()

    def dismiss(self) -> None:
        """Hide the banner."""
        self.kind = ""
        self.label.clear()
        self.hide()
        self.closed.emit()


class ProbabilityBarsWidget(QWidget):
    """One horizontal bar per genre with its probability, in model order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.values: dict[str, float] = {}
        #: True draws the bars in greys: the song sounds like none of these genres.
        self.muted = False
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_values(self, labels: list[str], values: dict[str, float], *, muted: bool = False) -> None:
        """Show ``values`` (label -> probability); an empty dict shows empty bars; ``muted`` draws them grey."""
        self.labels = list(labels)
        self.values = dict(values)
        self.muted = muted
        self.updateGeometry()
        self.update()

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 6

    def sizeHint(self) -> QSize:
        return QSize(320, max(1, len(self.labels)) * self._row_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(200, max(1, len(self.labels)) * self._row_height())

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        row = self._row_height()
        name_width = max((metrics.horizontalAdvance(label) for label in self.labels), default=0) + 10
        value_width = metrics.horizontalAdvance("100%") + 8
        bar_width = max(10, self.width() - name_width - value_width)
        top_label = max(self.values, key=self.values.get) if self.values else None
        for i, label in enumerate(self.labels):
            y = i * row
            value = self.values.get(label)
            font = QFont(self.font())
            font.setBold(label == top_label)
            painter.setFont(font)
            painter.setPen(self.palette().windowText().color())
            painter.drawText(QRectF(0, y, name_width - 6, row), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, label)
            track = QRectF(name_width, y + 3, bar_width, row - 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e6e6e6"))
            painter.drawRoundedRect(track, 3, 3)
            if value is not None:
                painter.setBrush(QColor(unknown_colour(i) if self.muted else genre_colour(i)))
                painter.drawRoundedRect(QRectF(track.left(), track.top(), track.width() * max(0.0, min(1.0, value)), track.height()), 3, 3)
                painter.setPen(self.palette().windowText().color())
                painter.drawText(QRectF(name_width + bar_width + 4, y, value_width, row),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, f"{value:.0%}")
        painter.end()


class VerdictWidget(QWidget):
    """The overall verdict: a heading (final / provisional), the verdict text, notes and per-genre bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("Verdict")
        self.heading.setStyleSheet("color: #555555;")
        self.verdict = QLabel("—")
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.verdict.setFont(font)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # "Not one of …" names every genre of the model; a user's model with ten would widen the window past the
        # screen on one line.
        self.verdict.setWordWrap(True)
        # A song that is not one of the genres: its nearest genre, second and smaller, never as the verdict.
        self.closest = QLabel("")
        closest_font = self.closest.font()
        closest_font.setPointSizeF(closest_font.pointSizeF() * 1.25)
        self.closest.setFont(closest_font)
        self.closest.setStyleSheet("color: #555555;")
        self.closest.hide()
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #8a4b00;")
        self.bars = ProbabilityBarsWidget()
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.heading)
        text.addWidget(self.verdict)
        text.addWidget(self.closest)
        text.addWidget(self.notes)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(text, 3)
        layout.addWidget(self.bars, 2, Qt.AlignmentFlag.AlignTop)

    def show_result(self, result, heading: str = "Verdict") -> None:
        """Show a :class:`~urdu_genre_app.core.results.SongResult`."""
        self.heading.setText(heading)
        notes = []
        unknown = result.status != "silence" and result.unknown is True
        self.closest.setVisible(unknown)
        if unknown:  # "Not one of Ghazal, …, Rock", and on the line below "closest: Rock 41%"
            flags = result.flag_words
            self.verdict.setText(not_one_of_text(result.labels) + (f" [{', '.join(flags)}]" if flags else ""))
            self.closest.setText(closest_text(result.genre, result.confidence))
        else:
            self.verdict.setText(result.verdict_text())
            self.closest.setText("")
        # Silence gets no note of its own: the classifier's warning (silent throughout) already says why.
        if unknown:
            notes.append("It sounds like none of the genres this model was trained on; the closest one is only "
                         "the nearest guess.")
        elif result.uncertain:
            notes.append("Uncertain: the model does not clearly prefer one genre.")
        notes.extend(w[0].upper() + w[1:] for w in result.warnings if w)
        self.notes.setText("\n".join(notes))
        colour = "#8a4b00" if result.uncertain or result.short else "#111111"
        if result.status == "silence" or unknown:
            colour = "#666666"
        self.verdict.setStyleSheet(f"color: {colour};")
        self.bars.set_values(result.labels, result.probabilities, muted=unknown)

    def show_waiting(self, heading: str, text: str, labels: list[str] | None = None) -> None:
        """Show a state without a result (analysing, no model, failed)."""
        self.heading.setText(heading)
        self.verdict.setText(text)
        self.verdict.setStyleSheet("color: #666666;")
        self.closest.hide()
        self.notes.setText("")
        self.bars.set_values(labels or self.bars.labels, {})


class LevelMeterWidget(QWidget):
    """A horizontal peak meter from -60 to 0 dBFS (green, amber above -12, red above -3).

    Peaks rise at once and fall back at :attr:`FALL_DB_PER_SECOND`, as a
    hardware peak meter does, so short sounds stay visible.
    """

    FLOOR_DB = -60.0
    FALL_DB_PER_SECOND = 24.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level_db = self.FLOOR_DB
        self._updated = time.monotonic()
        self.setMinimumSize(120, 14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Input level (peak, dBFS)")

    def set_level(self, level_db: float) -> None:
        """Show a new peak level in dBFS."""
        now = time.monotonic()
        fallen = self.level_db - self.FALL_DB_PER_SECOND * (now - self._updated)
        self._updated = now
        self.level_db = max(self.FLOOR_DB, min(0.0, max(level_db, fallen)))
        self.update()

    def reset(self) -> None:
        """Show silence."""
        self.level_db = self.FLOOR_DB
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(200, 16)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QColor("#888888"))
        painter.setBrush(QColor("#2b2b2b"))
        painter.drawRect(rect)
        fraction = (self.level_db - self.FLOOR_DB) / -self.FLOOR_DB
        colour = "#2e9d4a" if self.level_db < -12 else "#e0a100" if self.level_db < -3 else "#d1342f"
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRect(QRectF(rect.left() + 1, rect.top() + 1, (rect.width() - 2) * fraction, rect.height() - 2))
        painter.end()


class ElidingComboBox(QComboBox):
    """A menu that may be narrower than its longest item: the shown text ends in "…", the tooltip holds it whole.

    Qt clips a long current item without a sign that it goes on; a device name
    such as "HDA Intel PCH: ALC3246 Analog (hw:0,0) (default)" would lose its
    end unnoticed. The open list still shows every item whole.
    """

    def __init__(self, tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tooltip, self._with_item = tooltip, True
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.currentTextChanged.connect(self._on_current_text_changed)

    def set_tooltip(self, tooltip: str, *, with_item: bool = True) -> None:
        """What the menu is for; the current item's full text follows it unless not ``with_item``."""
        self._tooltip, self._with_item = tooltip, with_item
        self._on_current_text_changed(self.currentText())

    def _on_current_text_changed(self, text: str) -> None:
        if not self._with_item or not text:
            self.setToolTip(self._tooltip)
        else:
            self.setToolTip(f"{self._tooltip}: {text}" if self._tooltip else text)

    def shown_text(self) -> str:
        """The current item's text as drawn: elided to the width the menu has."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        return self.fontMetrics().elidedText(self.currentText(), Qt.TextElideMode.ElideRight, field.width())

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        """Draw the frame and arrow as the style does, then the current text elided."""
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
