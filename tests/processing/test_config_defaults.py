"""Processing's parameter defaults and the dock's come from sam_core.config, like the CLI's and the core's
(tests/core/test_config.py): a default changed there changes everywhere."""

from __future__ import annotations

from qgis.core import QgsApplication

from sam_core import config

#: algorithm → {parameter: the config value its default must equal}
EXPECTED = {
    # tile size 0: the model's (a fine-tuned decoder's learned scale, else config.TILE_SIZE)
    "encoderaster": {"TILE_SIZE": config.MODEL_TILE_SIZE, "OVERLAP": config.OVERLAP},
    "segmentfromprompts": {"TILE_SIZE": config.MODEL_TILE_SIZE},
    "segmenteverything": {
        "TILE_SIZE": config.MODEL_TILE_SIZE,
        "OVERLAP": config.OVERLAP,
        "POINTS_PER_SIDE": config.POINTS_PER_SIDE,
        "PRED_IOU_THRESH": config.PRED_IOU_THRESH,
        "STABILITY_THRESH": config.STABILITY_THRESH,
        "MIN_REGION_PX": config.MIN_REGION_PX,
    },
    "classifylandcover": {"OVERLAP": config.CLASSIFY_OVERLAP},
}


def algorithm(name: str):
    return QgsApplication.processingRegistry().createAlgorithmById(f"terrasam:{name}")


def test_processing_parameter_defaults_are_configs(provider, terrasam):
    for name, parameters in EXPECTED.items():
        alg = algorithm(name)
        for parameter, expected in parameters.items():
            assert alg.parameterDefinition(parameter).defaultValue() == expected, (name, parameter)
    classify = algorithm("classifylandcover")  # kept referenced: it owns its parameters
    stretch = classify.parameterDefinition("STRETCH")
    assert stretch.options() == list(config.STRETCHES)
    assert stretch.options()[stretch.defaultValue()] == config.STRETCH
    saved = terrasam.host.settings.value("device") or None
    for alg in provider.algorithms():
        device = alg.parameterDefinition("DEVICE")
        if device is None:
            continue
        assert device.options() == list(config.DEVICES), alg.name()
        expected = saved if saved in config.DEVICES else config.DEVICE
        assert device.options()[device.defaultValue()] == expected, alg.name()
        precision = alg.parameterDefinition("PRECISION")  # beside every device: where and how it runs
        assert precision.options() == list(config.PRECISIONS), alg.name()
        chosen = terrasam.host.settings.value("precision") or None
        assert precision.options()[precision.defaultValue()] == (chosen or config.PRECISION), alg.name()


def test_the_docks_defaults_are_configs(terrasam):
    from terrasam.ui import dock

    assert (dock.POINTS_PER_SIDE, dock.MAX_POINTS_PER_SIDE) == (
        config.POINTS_PER_SIDE,
        config.MAX_POINTS_PER_SIDE,
    )
