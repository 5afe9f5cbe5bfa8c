"""A small line chart of accuracy per epoch, drawn with QPainter (no matplotlib needed)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Series drawn, in legend order: (log key, legend text, colour).
SERIES = (
    ("accuracy", "training accuracy", "#1f77b4"),
    ("val_accuracy", "validation accuracy", "#d62728"),
)
_MARGINS = (44, 26, 14, 30)  # left, top (the legend), right, bottom, in pixels


class EpochChartWidget(QWidget):
    """Training and validation accuracy (0-100 %) against the epoch, filled in as epochs end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: dict[str, list[tuple[int, float]]] = {key: [] for key, _, _ in SERIES}
        self.planned_epochs = 1
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        """A comfortable default size."""
        return QSize(420, 220)

    def reset(self, planned_epochs: int) -> None:
        """Forget the points; the x axis spans ``planned_epochs``."""
        for values in self.points.values():
            values.clear()
        self.planned_epochs = max(1, planned_epochs)
        self.update()

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """Add one finished epoch's values (keys of :data:`SERIES` that are present)."""
        for key, _, _ in SERIES:
            if key in logs:
                self.points[key].append((epoch, float(logs[key])))
        self.planned_epochs = max(self.planned_epochs, epoch)
        self.update()

    def paintEvent(self, _event) -> None:
        """Axes, grid, the two series and a legend."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, top, right, bottom = _MARGINS
        plot = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        text = self.palette().windowText().color()
        grid = QColor(text)
        grid.setAlpha(40)

        def to_point(epoch: float, value: float) -> QPointF:
            span = max(1, self.planned_epochs - 1)
            x = plot.left() + (epoch - 1) / span * plot.width() if self.planned_epochs > 1 else plot.center().x()
            return QPointF(x, plot.bottom() - min(1.0, max(0.0, value)) * plot.height())

        painter.setPen(QPen(grid, 1))
        for percent in range(0, 101, 25):
            y = plot.bottom() - percent / 100 * plot.height()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"{percent}%")
            painter.setPen(QPen(grid, 1))
        painter.setPen(text)
        ticks = sorted({1, self.planned_epochs, *range(5, self.planned_epochs, 5)})
        for epoch in ticks:
            x = to_point(epoch, 0).x()
            painter.drawText(QRectF(x - 20, plot.bottom() + 2, 40, 14), Qt.AlignmentFlag.AlignCenter, str(epoch))
        painter.drawText(QRectF(plot.left(), plot.bottom() + 14, plot.width(), 14), Qt.AlignmentFlag.AlignCenter,
                         "epoch")

        for key, _, colour in SERIES:
            values = self.points[key]
            if not values:
                continue
            painter.setPen(QPen(QColor(colour), 2))
            path = QPainterPath(to_point(*values[0]))
            for epoch, value in values[1:]:
                path.lineTo(to_point(epoch, value))
            painter.drawPath(path)
            painter.setBrush(QColor(colour))
            for epoch, value in values:
                painter.drawEllipse(to_point(epoch, value), 2.5, 2.5)
            painter.setBrush(Qt.BrushStyle.NoBrush)

        x = plot.left() + 8
        legend_y = top / 2
        for _key, legend, colour in SERIES:
            painter.setPen(QPen(QColor(colour), 3))
            painter.drawLine(QPointF(x, legend_y), QPointF(x + 16, legend_y))
            painter.setPen(text)
            width = painter.fontMetrics().horizontalAdvance(legend)
            painter.drawText(QPointF(x + 20, legend_y + 4), legend)
            x += 20 + width + 16
        painter.end()
