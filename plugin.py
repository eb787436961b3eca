"""The TerraSAM plugin object that QGIS drives (``initProcessing`` / ``initGui`` / ``unload``).

One action ("TerraSAM", one entry in the Raster menu and a button in the plugins toolbar) opens the segmentation
dock (``ui/dock.py`` with its ``ui/controller.py``); ``initProcessing`` registers the Processing provider
(``terrasam_processing/``, id ``terrasam``). QGIS desktop calls only ``initGui`` (``qgis.utils.startPlugin``)
and ``qgis_process`` only ``initProcessing``, so ``initGui`` registers the provider too, once. The core runs in
an engine process of its own (``sam_core/service/engine.py`` says why). The plugin loads even when the engine's Python is
missing or lacks torch: it says so (message bar with a Set up engine button, and the full text in the QGIS log),
and the dock opens with its Set up engine panel (``ui/engine_setup.py``) in place of the prompts until the engine
works.
"""

from __future__ import annotations

import os

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsSettings
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .host.dependencies import EngineCheck, check_engine, engine_message, problem_text

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
I18N_DIR = os.path.join(PLUGIN_DIR, "i18n")
ICON_PATH = os.path.join(PLUGIN_DIR, "icon.png")
LOG_TAG = "TerraSAM"
INFO_DURATION_S = 5


def user_locale() -> str:
    """The locale QGIS runs in (``locale/userLocale`` from the QGIS settings, e.g. ``de`` or ``pt_BR``)."""
    # QGIS writes locale/userLocale at start-up (with or without the override flag) so that plugins follow it.
    value = QgsSettings().value("locale/userLocale", "") or ""
    if not isinstance(value, str) or not value:
        value = QgsApplication.locale() or QLocale().name()
    return str(value)


class TerraSAMPlugin:
    """The plugin instance returned by ``classFactory``; ``iface`` is ``None`` under ``qgis_process``."""

    def __init__(self, iface=None):
        self.iface = iface
        self.plugin_dir = PLUGIN_DIR
        self.translator: QTranslator | None = self._install_translator()
        self.menu_name = self.tr("&TerraSAM")
        self.action: QAction | None = None
        self.missing: list[str] = []
        self.provider = None
        self.dock = None
        self.controller = None
        self._raster_menu = None  # the Raster menu holding our action directly (see initGui)
        self.setup = None  # the dock's Set up engine panel while the engine is not set up
        self._in_raster_menu = False
        self._in_toolbar = False

    @staticmethod
    def tr(message: str) -> str:
        """Translate ``message``. The context is the class name: that is where pylupdate5 files ``self.tr``."""
        return QCoreApplication.translate("TerraSAMPlugin", message)

    # -- translations ---------------------------------------------------------------------------------------------

    def _install_translator(self) -> QTranslator | None:
        """Load ``i18n/terrasam_<locale>.qm`` (``pt_BR``, then ``pt``) when it exists."""
        locale = user_locale()
        for code in dict.fromkeys((locale, locale[:2])):
            path = os.path.join(I18N_DIR, f"terrasam_{code}.qm")
            if code and os.path.isfile(path):
                translator = QTranslator()
                if translator.load(path) and QCoreApplication.installTranslator(translator):
                    return translator
        return None

    # -- QGIS plugin interface ------------------------------------------------------------------------------------

    def initProcessing(self) -> None:
        """Register the Processing provider, once however often and in whatever order QGIS calls
        ``initProcessing`` and ``initGui``; also with ``iface=None`` (``qgis_process``)."""
        if self.provider is None:
            from .terrasam_processing import TerraSAMProvider

            provider = TerraSAMProvider()
            # False when a provider with the id "terrasam" is registered already (another copy of the plugin):
            # that one is not ours to remove at unload
            if QgsApplication.processingRegistry().addProvider(provider):
                self.provider = provider

    def initGui(self) -> None:
        """Register the Processing provider (the desktop calls only this method), add the TerraSAM action to
        the Raster menu and the plugins toolbar; warn once if the engine is not set up."""
        self.initProcessing()
        if self.iface is None:
            return
        check = check_engine()
        self.action = QAction(QIcon(ICON_PATH), self.tr("TerraSAM"), self.iface.mainWindow())
        self.action.setObjectName("terrasamAction")
        self.action.setToolTip(self.tr("TerraSAM: Segment Anything for rasters"))
        self.action.triggered.connect(self.run)
        # One entry straight in the Raster menu: addPluginToRasterMenu would make a "TerraSAM" submenu holding
        # one "TerraSAM" item. pytest-qgis's stub iface (and other minimal hosts) lack some of these methods.
        if hasattr(self.iface, "rasterMenu"):
            self._raster_menu = self.iface.rasterMenu()
            self._raster_menu.addAction(self.action)
        elif hasattr(self.iface, "addPluginToRasterMenu"):
            self.iface.addPluginToRasterMenu(self.menu_name, self.action)
            self._in_raster_menu = True
        if hasattr(self.iface, "addToolBarIcon"):
            self.iface.addToolBarIcon(self.action)
            self._in_toolbar = True
        if not check.ok:
            self._warn_engine(check)

    def unload(self) -> None:
        """Remove everything ``initGui`` (and ``__init__``) added."""
        if self.controller is not None:
            self.controller.unload()
            self.controller = None
        if self.setup is not None:
            self.setup.shutdown()
            self.setup = None
        if self.dock is not None:
            if hasattr(self.iface, "removeDockWidget"):
                self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if self.action is not None:
            if self._raster_menu is not None and not sip.isdeleted(self._raster_menu):
                self._raster_menu.removeAction(self.action)
            self._raster_menu = None
            if self._in_raster_menu and hasattr(self.iface, "removePluginRasterMenu"):
                self.iface.removePluginRasterMenu(self.menu_name, self.action)
            if self._in_toolbar and hasattr(self.iface, "removeToolBarIcon"):
                self.iface.removeToolBarIcon(self.action)
            self._in_raster_menu = self._in_toolbar = False
            self.action.triggered.disconnect(self.run)
            self.action.deleteLater()
            self.action = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None

    # -- behaviour ------------------------------------------------------------------------------------------------

    def run(self) -> None:
        """The action's slot: open the dock (with its Set up engine panel while the engine is not set up)."""
        if self.dock is None:
            self._create_dock()
        self.dock.show()
        self.dock.raise_()

    def _create_dock(self) -> None:
        """Built on first use: the controller starts the engine process, which QGIS start-up need not wait for."""
        from qgis.PyQt.QtCore import Qt

        from .ui.dock import TerraSAMDock

        self.dock = TerraSAMDock(self.iface.mainWindow())
        self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        check = check_engine()
        if check.ok:
            self._start_controller()
            return
        from .ui.engine_setup import EngineSetupPanel

        self.setup = EngineSetupPanel()
        self.setup.show_check(check)
        self.setup.ready.connect(self._engine_ready)
        self.dock.show_engine_setup(self.setup)

    def _engine_ready(self) -> None:
        """The panel set the engine up: the dock's sections come back, with a controller and its engine."""
        if self.dock is None or self.controller is not None:
            return
        self.dock.show_engine_setup(None)
        self._start_controller()

    def _start_controller(self) -> None:
        from .ui.controller import SegmentationController

        self.controller = SegmentationController(self.iface, self.dock)

    def _warn_engine(self, check: EngineCheck) -> None:
        """The full text to the QGIS log; a message that stays, with a Set up engine button, to the bar."""
        self.missing = list(check.missing)
        QgsMessageLog.logMessage(engine_message(check), LOG_TAG, Qgis.Warning)
        title = self.tr("TerraSAM: the engine is not set up")
        text = problem_text(check) + " " + self.tr("Set up engine (in the TerraSAM dock) fixes it.")
        bar = self.iface.messageBar() if hasattr(self.iface, "messageBar") else None
        if bar is not None and hasattr(bar, "pushWidget") and hasattr(bar, "createMessage"):
            from qgis.PyQt.QtWidgets import QPushButton

            item = bar.createMessage(title, text)
            button = QPushButton(self.tr("Set up engine"), item)
            button.clicked.connect(self.run)
            item.layout().addWidget(button)
            bar.pushWidget(item, Qgis.Warning, 0)
            return
        self._push(title, text, Qgis.Warning, 0)

    def _push(self, title: str, text: str, level, duration: int) -> None:
        bar = (
            self.iface.messageBar() if self.iface is not None and hasattr(self.iface, "messageBar") else None
        )
        if bar is None:
            QgsMessageLog.logMessage(f"{title}: {text}", LOG_TAG, level)
            return
        # Positional with an explicit duration: pytest-qgis's message bar has no defaults.
        bar.pushMessage(title, text, level, duration)
