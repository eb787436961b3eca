"""The Processing algorithms of batch commands run their tiles on an existing Dask cluster when given a
scheduler address (issue 15): an advanced SCHEDULER parameter whose default is the ``TerraSAM/dask_scheduler``
setting, passed on as ``--scheduler``; empty runs on this machine. The algorithms of commands that do not
distribute (training, fine-tuning, evaluation) have no such parameter."""

from __future__ import annotations

import socket
import time

import pytest
from processing_helpers import run
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterString,
    QgsSettings,
)

#: the algorithms whose engine command takes --scheduler (segment: always with --prompts files)
DISTRIBUTABLE = {
    "encoderaster",
    "segmentfromprompts",
    "segmenteverything",
    "classifylandcover",
    "detectobjects",
    "mapclasses",
    "labelobjects",
}
SETTING = "TerraSAM/dask_scheduler"


def algorithm(name: str):
    return QgsApplication.processingRegistry().createAlgorithmById(f"terrasam:{name}")


@pytest.fixture
def scheduler_setting():
    """Sets ``TerraSAM/dask_scheduler`` for the test (pytest-qgis's throw-away profile), removed after it."""
    settings = QgsSettings()
    yield lambda address: settings.setValue(SETTING, address)
    settings.remove(SETTING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_batch_algorithm_has_an_advanced_scheduler_parameter_the_others_none(provider, terrasam):
    saved = terrasam.host.settings.dask_scheduler()  # unset in the tests' profile: "" (run on this machine)
    algorithms = {alg.name(): alg for alg in provider.algorithms()}
    assert DISTRIBUTABLE < set(algorithms)
    for name, alg in algorithms.items():
        parameter = alg.parameterDefinition("SCHEDULER")
        if name not in DISTRIBUTABLE:
            assert parameter is None, name
            continue
        assert isinstance(parameter, QgsProcessingParameterString), name
        assert parameter.flags() & QgsProcessingParameterDefinition.FlagAdvanced, name
        assert parameter.flags() & QgsProcessingParameterDefinition.FlagOptional, name
        assert parameter.description() == "Dask scheduler address (empty: run on this machine)", name
        assert (parameter.defaultValue() or "") == saved, name
        names = [p.name() for p in alg.parameterDefinitions()]
        assert names.index("SCHEDULER") == names.index("PRECISION") + 1, name  # beside where it runs


def test_the_scheduler_parameter_defaults_to_the_setting(provider, scheduler_setting):
    scheduler_setting("  tcp://10.1.2.3:8786 ")
    for name in sorted(DISTRIBUTABLE):
        alg = algorithm(name)  # a fresh one, as each dialog and run gets
        assert alg.parameterDefinition("SCHEDULER").defaultValue() == "tcp://10.1.2.3:8786", name
        assert scheduler_args(alg, {}) == ["--scheduler", "tcp://10.1.2.3:8786"], name
        assert scheduler_args(alg, {"SCHEDULER": ""}) == [], name  # emptied in the dialog: this machine
    scheduler_setting("")
    for name in sorted(DISTRIBUTABLE):
        alg = algorithm(name)  # kept referenced: it owns its parameters
        assert alg.parameterDefinition("SCHEDULER").defaultValue() == "", name
        assert scheduler_args(alg, {}) == [], name


def scheduler_args(alg, parameters: dict) -> list[str]:
    """The ``--scheduler`` option (and its value) among the shared options the algorithm gives its command."""
    args = alg.option_args(parameters, QgsProcessingContext())
    at = [i for i, arg in enumerate(args) if arg == "--scheduler"]
    return [arg for i in at for arg in args[i : i + 2]]


def test_an_address_becomes_the_scheduler_option_and_an_empty_one_none(provider, scheduler_setting):
    scheduler_setting("")  # no default address, whatever the profile holds
    for name in sorted(DISTRIBUTABLE):
        alg = algorithm(name)
        assert scheduler_args(alg, {}) == [], name
        assert scheduler_args(alg, {"SCHEDULER": ""}) == [], name
        assert scheduler_args(alg, {"SCHEDULER": "  \t"}) == [], name
        assert scheduler_args(alg, {"SCHEDULER": " tcp://host:8786\n"}) == ["--scheduler", "tcp://host:8786"]
    train = algorithm("trainclassifier")  # not a batch command: an address given anyway is not passed on
    assert scheduler_args(train, {"SCHEDULER": "tcp://host:8786"}) == []


def test_an_unreachable_scheduler_stops_the_run_with_the_engines_one_line_error(
    processing, sam, rgb_tif, tmp_path
):
    address = f"tcp://127.0.0.1:{free_port()}"
    out = tmp_path / "everything.gpkg"
    feedback = QgsProcessingFeedback()
    commands: list[str] = []
    feedback.pushCommandInfo = commands.append
    started = time.monotonic()
    with pytest.raises(
        QgsProcessingException, match=f"cannot reach the Dask scheduler at {address}"
    ) as error:
        run(
            processing,
            "segmenteverything",
            {
                "RASTER": str(rgb_tif),
                "CHECKPOINT": sam,
                "POINTS_PER_SIDE": 2,
                "TILE_SIZE": 256,
                "OVERLAP": 64,
                "CACHE_DIR": str(tmp_path / "cache"),
                "SCHEDULER": f" {address} ",
                "OUTPUT": str(out),
            },
            feedback,
        )
    elapsed = time.monotonic() - started
    assert "\n" not in str(error.value) and "Traceback" not in str(error.value)
    assert len(commands) == 1 and f"--scheduler {address}" in commands[0], commands
    assert not out.exists()
    assert elapsed < 60, elapsed  # the engine gives up after its connect timeout (5 s), not a hang
