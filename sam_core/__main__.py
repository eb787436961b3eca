"""Entry point of ``python -m sam_core`` (``serve`` starts the engine process the QGIS plugin talks to)."""

import sys

if sys.argv[1:2] == ["serve"]:
    from .worker import serve

    sys.exit(serve())

from .cli import run

run()
