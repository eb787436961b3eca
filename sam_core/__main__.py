"""Entry point of ``python -m sam_core`` (``serve`` starts the engine process the QGIS plugin talks to)."""

import sys

if sys.argv[1:2] == ["serve"]:
    from .service.server import serve

    sys.exit(serve())

from .cli.main import run

run()
