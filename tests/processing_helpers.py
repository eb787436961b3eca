"""Running a TerraSAM Processing algorithm as ``processing.run`` does, checking it leaves no temporary file."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingFeedback, QgsProcessingUtils


class CancelAtFirstProgress(QgsProcessingFeedback):
    """Cancels the run as soon as it reports progress, keeping what it reported."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[float] = []
        self.progressChanged.connect(self._progress)

    def _progress(self, value: float) -> None:
        self.seen.append(value)
        if value > 0:
            self.cancel()


def temp_files() -> set[str]:
    root = Path(QgsProcessingUtils.tempFolder())
    return {str(p) for p in root.rglob("*")}


def run(processing, name: str, parameters: dict, feedback=None) -> dict:
    """``processing.run`` that also checks the run left no temporary file or folder behind."""
    before = temp_files()
    try:
        return processing.run(f"terrasam:{name}", parameters, feedback=feedback or QgsProcessingFeedback())
    finally:
        assert temp_files() - before == set(), "temporary files left behind"
