"""The one exception type users see.

Anything wrong with *input* (files, CRSs, prompts, checkpoints) raises ``SamCoreError`` with a sentence
written for a GIS analyst. The CLI prints it as ``error: ...`` with exit code 2; the plugin shows it in the
message bar. Other exceptions are bugs and keep their tracebacks.
"""


class SamCoreError(Exception):
    """Bad input, explained in one readable sentence."""


class Cancelled(SamCoreError):
    """The user cancelled a long operation; nothing was written."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


def first_line(exc: BaseException) -> str:
    """A library error's first line for a one-sentence message (GDAL and pyproj add pages of context);
    the exception's type name when it has no text."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
