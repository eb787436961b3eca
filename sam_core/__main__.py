"""Entry point of ``python -m sam_core``."""

from .cli import run

run()
