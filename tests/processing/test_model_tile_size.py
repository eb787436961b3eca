"""Processing's tile size 0 is the model's: the command gets no ``--tile-size`` (a fine-tuned decoder's
learned scale, else 1024 px) and no ``--overlap`` while that stays at its default (the command derives it from
the model's tile); a size the user chose goes through with its overlap."""

from __future__ import annotations

from qgis.core import QgsApplication, QgsProcessingContext, QgsProject

from sam_core import config


def tiling(name: str, **values) -> list[str]:
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(f"terrasam:{name}")
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return algorithm.tiling_args(values, context)


def test_the_models_tile_size_is_left_to_the_command(provider):
    for name in ("encoderaster", "segmenteverything"):
        assert tiling(name, TILE_SIZE=config.MODEL_TILE_SIZE, OVERLAP=config.OVERLAP) == [], name
        assert tiling(name, TILE_SIZE=0, OVERLAP=16) == ["--overlap", "16"], name
        assert tiling(name, TILE_SIZE=512, OVERLAP=128) == ["--tile-size", "512", "--overlap", "128"], name
    assert tiling("segmentfromprompts", TILE_SIZE=0) == []
    assert tiling("segmentfromprompts", TILE_SIZE=256) == ["--tile-size", "256"]
