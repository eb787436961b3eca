"""The TerraSAM dock: widgets only. ``SegmentationController`` gives them behaviour."""

from __future__ import annotations

from qgis.core import QgsMapLayerProxyModel
from qgis.gui import QgsDockWidget, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtGui import QColor, QKeySequence
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QAction,
    QActionGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..sam_core import config
from ..sam_core.units import format_area

#: Alt+Shift+letter is free in a default QGIS 3.22 (its own shortcuts use Ctrl, Ctrl+Shift, Ctrl+Alt).
SHORTCUTS = {
    "point": "Alt+Shift+P",
    "box": "Alt+Shift+B",
    "undo": "Alt+Shift+Z",
    "clear": "Alt+Shift+X",
    "accept": "Alt+Shift+A",
}
OUTPUT_MEMORY, OUTPUT_LAYER, OUTPUT_GPKG = 0, 1, 2
#: Segment everything's prompt grid: SAM's default, and the range the dock offers.
POINTS_PER_SIDE, MAX_POINTS_PER_SIDE = config.POINTS_PER_SIDE, config.MAX_POINTS_PER_SIDE


class WrappedLabel(QLabel):
    """A word-wrapped label whose tooltip repeats its whole text: a long model description ("vit_h, 636 M
    parameters, … — cuda") is never cut off, even in a narrow dock."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # wraps to the dock, never widens it
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)


class TerraSAMDock(QgsDockWidget):
    @staticmethod
    def tr(text: str) -> str:
        """Translate ``text`` in the context pylupdate5 files ``self.tr()`` calls under: the class name."""
        return QCoreApplication.translate("TerraSAMDock", text)

    def __init__(self, parent=None) -> None:
        super().__init__(self.tr("TerraSAM"), parent)
        self.setObjectName("TerraSAMDock")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.body_layout = layout  # the Set up engine panel stands in it (show_engine_setup)
        layout.addWidget(self._input_group())
        layout.addWidget(self._model_group())
        layout.addWidget(self._tools_group())
        layout.addWidget(self._output_group())
        layout.addWidget(self._classify_group())
        self._status_rows(layout)
        layout.addStretch(1)
        # in a scroll area: the groups need ~770 px, more than a 1366×768 laptop's screen leaves beside the
        # Processing toolbox; the dock can now shrink and scrolls instead of pushing other docks away
        scroll = QScrollArea(self)
        scroll.setObjectName("TerraSAMScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        scroll.setWidget(body)
        self.setWidget(scroll)

    # -- sections -----------------------------------------------------------------------------------------
    def _input_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Raster"))
        form = QFormLayout(group)
        self.layer_combo = QgsMapLayerComboBox()
        self.layer_combo.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.layer_combo.setAllowEmptyLayer(True)
        form.addRow(self.tr("Layer"), self.layer_combo)
        bands = QHBoxLayout()
        self.band_combos = [QComboBox() for _ in range(3)]
        for name, combo in zip((self.tr("R"), self.tr("G"), self.tr("B")), self.band_combos):
            bands.addWidget(QLabel(name))
            bands.addWidget(combo, 1)
        form.addRow(self.tr("Bands"), bands)
        return group

    def _model_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Model"))
        form = QFormLayout(group)
        self.checkpoint_widget = QgsFileWidget()
        self.checkpoint_widget.setFilter(self.tr("SAM checkpoints (*.pth *.pt);;All files (*)"))
        self.checkpoint_widget.setDialogTitle(self.tr("Choose a SAM checkpoint"))
        self.get_model_button = QPushButton(self.tr("Get a model…"))
        self.get_model_button.setToolTip(
            self.tr("Download an official SAM checkpoint (or one from a URL), verified, and use it")
        )
        self.get_model_button.clicked.connect(self.open_model_download)
        self.model_dialog = None
        checkpoint_row = QHBoxLayout()  # one row: the dock is tall enough
        checkpoint_row.addWidget(self.checkpoint_widget, 1)
        checkpoint_row.addWidget(self.get_model_button)
        form.addRow(self.tr("Checkpoint"), checkpoint_row)
        self.model_label = WrappedLabel(self.tr("No model loaded"))
        form.addRow("", self.model_label)
        self.device_combo = QComboBox()
        self.device_combo.addItems(list(config.DEVICES))
        form.addRow(self.tr("Device"), self.device_combo)
        self.precision_combo = QComboBox()
        self.precision_combo.addItems(list(config.PRECISIONS))
        self.precision_combo.setToolTip(
            self.tr("auto: the fastest encoder path that passes the fidelity check on this machine")
        )
        form.addRow(self.tr("Precision"), self.precision_combo)
        return group

    def _tools_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Prompts"))
        grid = QGridLayout(group)
        self.point_action = self._action(
            self.tr("Point"), "point", self.tr("Left click: object, right click: background")
        )
        self.box_action = self._action(self.tr("Box"), "box", self.tr("Drag a rectangle around the object"))
        for action in (self.point_action, self.box_action):
            action.setCheckable(True)
        self.tool_group = QActionGroup(self)
        self.tool_group.addAction(self.point_action)
        self.tool_group.addAction(self.box_action)
        self.undo_action = self._action(self.tr("Undo"), "undo", self.tr("Remove the last prompt"))
        self.clear_action = self._action(
            self.tr("Clear"), "clear", self.tr("Remove all prompts of this object")
        )
        self.accept_action = self._action(
            self.tr("Accept"), "accept", self.tr("Write the object to the output layer")
        )
        self.encode_view_action = QAction(self.tr("Encode view"), self)
        self.encode_view_action.setToolTip(
            self.tr("Encode the tiles in view now, so later clicks are instant")
        )
        actions = [
            self.point_action,
            self.box_action,
            self.undo_action,
            self.clear_action,
            self.accept_action,
            self.encode_view_action,
        ]
        for index, action in enumerate(actions):
            grid.addWidget(self._button(action), index // 3, index % 3)
        self.everything_action = QAction(self.tr("Segment everything in view"), self)
        self.everything_action.setToolTip(
            self.tr(
                "Find every object in the current view automatically and write them all to the output layer"
            )
        )
        row = (len(actions) + 2) // 3
        everything_button = self._button(self.everything_action)
        everything_button.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        grid.addWidget(everything_button, row, 0, 1, 2)
        self.points_per_side = QSpinBox()
        self.points_per_side.setRange(1, MAX_POINTS_PER_SIDE)
        self.points_per_side.setValue(POINTS_PER_SIDE)
        self.points_per_side.setSuffix(self.tr(" pts/side"))
        self.points_per_side.setToolTip(
            self.tr(
                "Segment everything: prompt points along each side of a tile. More points find smaller "
                "objects; the time grows with the square."
            )
        )
        grid.addWidget(self.points_per_side, row, 2)
        return group

    @staticmethod
    def _button(action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(2)  # Qt.ToolButtonTextOnly
        return button

    def _output_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Output"))
        form = QFormLayout(group)
        self.output_mode = QComboBox()
        self.output_mode.addItems(
            [self.tr("New memory layer"), self.tr("Existing polygon layer"), self.tr("GeoPackage file")]
        )
        form.addRow(self.tr("Write to"), self.output_mode)
        self.output_stack = QStackedWidget()
        self.output_stack.addWidget(QLabel(self.tr("A new layer is added at the first Accept")))
        self.output_layer_combo = QgsMapLayerComboBox()
        self.output_layer_combo.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        self.output_stack.addWidget(self.output_layer_combo)
        self.output_file_widget = QgsFileWidget()
        self.output_file_widget.setStorageMode(QgsFileWidget.SaveFile)
        self.output_file_widget.setFilter(self.tr("GeoPackage (*.gpkg)"))
        self.output_stack.addWidget(self.output_file_widget)
        self.output_mode.currentIndexChanged.connect(self.output_stack.setCurrentIndex)
        form.addRow("", self.output_stack)
        return group

    def _classify_group(self) -> QGroupBox:
        """Land cover: a classifier head and Classify view, a segmentation head and Map view, and the area
        per class of the last run."""
        group = QGroupBox(self.tr("Land cover"))
        form = QFormLayout(group)
        self.head_widget = QgsFileWidget()
        self.head_widget.setFilter(self.tr("TerraSAM classifier head (*.pth *.pt);;All files (*)"))
        self.head_widget.setToolTip(
            self.tr("A classifier head trained with python -m sam_core train-classifier on this model")
        )
        form.addRow(self.tr("Head"), self.head_widget)
        self.segmentation_head_widget = QgsFileWidget()
        self.segmentation_head_widget.setFilter(self.tr("TerraSAM segmentation head (*.pt);;All files (*)"))
        self.segmentation_head_widget.setDialogTitle(self.tr("Choose a segmentation head"))
        self.segmentation_head_widget.setToolTip(
            self.tr(
                "A segmentation head trained with python -m sam_core train-segmenter on this model: Map view "
                "maps its classes, and accepted objects get their class"
            )
        )
        form.addRow(self.tr("Segmentation head"), self.segmentation_head_widget)
        self.segmentation_head_label = WrappedLabel()
        self.segmentation_head_label.setVisible(False)
        form.addRow("", self.segmentation_head_label)
        self.classify_action = QAction(self.tr("Classify view"), self)
        self.classify_action.setToolTip(
            self.tr("Classify the current view into land-cover cells, added as a new styled layer")
        )
        self.map_action = QAction(self.tr("Map view"), self)
        self.map_action.setToolTip(
            self.tr(
                "Map the classes of the segmentation head over the current view into a class GeoTIFF beside "
                "the raster, added as a new styled layer"
            )
        )
        self.dissolve_box = QCheckBox(self.tr("One polygon per class"))
        self.dissolve_box.setToolTip(self.tr("Classify view: one polygon per class instead of one per cell"))
        row = QHBoxLayout()
        row.addWidget(self._button(self.classify_action))
        row.addWidget(self._button(self.map_action))
        row.addWidget(self.dissolve_box)
        form.addRow(row)
        self.area_table = QTableWidget(0, 4)
        self.area_table.setHorizontalHeaderLabels(
            [self.tr("Class"), self.tr("Area"), self.tr("%"), self.tr("Length")]
        )
        self.area_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.area_table.verticalHeader().setVisible(False)
        self.area_table.horizontalHeader().setStretchLastSection(True)
        self.area_table.setVisible(False)
        form.addRow(self.area_table)
        return group

    def show_areas(self, classes: list[dict]) -> None:
        """The area per class (``class``, ``area_m2``, ``percent``, ``colour``; ``length_m`` for the linear
        classes of a class map) in the table, largest first; the Length column shows only when one has it."""
        rows = sorted((c for c in classes if c["area_m2"] > 0), key=lambda c: -c["area_m2"])
        self.area_table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            name = QTableWidgetItem(row["class"])
            name.setData(1, QColor(row["colour"]))  # Qt.DecorationRole: the class's colour swatch
            self.area_table.setItem(i, 0, name)
            area = QTableWidgetItem(format_area(row["area_m2"]))  # display only: the layer keeps area_m2
            area.setData(Qt.UserRole, row["area_m2"])
            area.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
            self.area_table.setItem(i, 1, area)
            self.area_table.setItem(i, 2, QTableWidgetItem(f"{row['percent']:.1f}"))
            length_m = row.get("length_m")
            length = QTableWidgetItem("" if length_m is None else format_length(length_m))
            length.setData(Qt.UserRole, length_m)
            length.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
            self.area_table.setItem(i, 3, length)
        self.area_table.setColumnHidden(3, all(row.get("length_m") is None for row in rows))
        self.area_table.resizeColumnsToContents()
        self.area_table.setVisible(bool(rows))

    def _status_rows(self, layout: QVBoxLayout) -> None:
        """The status line, then the progress bar and Cancel, straight in the dock's layout: nested in a
        column of their own, the hidden progress row shrank the column's maximum width, and the wrapped
        status line reserved its height for that width (five lines), squeezing the groups above."""
        self.status_label = QLabel(self.tr("Choose a raster layer and a checkpoint"))
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        row = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setVisible(False)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)

    def _action(self, text: str, key: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(SHORTCUTS[key]))
        action.setToolTip(f"{tip} ({SHORTCUTS[key]})")
        return action

    def open_model_download(self) -> None:
        """The **Get a model…** dialog (``model_download.py``); a downloaded file becomes the checkpoint."""
        from ..host import settings
        from .model_download import ModelDownloadDialog

        if self.model_dialog is None:
            self.model_dialog = ModelDownloadDialog(
                settings.checkpoint_dir(), self.checkpoint_widget.setFilePath, self
            )
        self.model_dialog.open()

    def show_engine_setup(self, panel: QWidget | None) -> None:
        """``panel`` (ui/engine_setup.py) in place of every section while the engine is not set up;
        ``None`` brings the sections back and hides the panel."""
        layout = self.body_layout
        if panel is not None and layout.indexOf(panel) < 0:
            layout.insertWidget(0, panel)
        for index in range(layout.count()):
            widget = layout.itemAt(index).widget()
            if widget is not None:
                widget.setVisible((widget is panel) if panel is not None else not _is_setup(widget))

    # -- state shown to the user --------------------------------------------------------------------------
    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    def show_progress(self, percent: float | None) -> None:
        """A percentage shows the bar and Cancel; None hides them."""
        busy = percent is not None
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress_bar.setValue(int(percent))

    def set_bands(self, names: list[str], chosen: tuple[int, int, int]) -> None:
        for combo, band in zip(self.band_combos, chosen):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(band - 1)
            combo.blockSignals(False)

    def bands(self) -> tuple[int, int, int]:
        return tuple(combo.currentIndex() + 1 for combo in self.band_combos)


def format_length(length_m: float) -> str:
    """A length as people read it: "850 m", "12.35 km" (display only: the data keep metres)."""
    value = float(length_m)
    return f"{value:,.0f} m" if abs(value) < 1000 else f"{value / 1000:,.2f} km"


def _is_setup(widget: QWidget) -> bool:
    return widget.objectName() == "TerraSAMEngineSetup"
