"""``python -m sam_core``: the core on a server, no QGIS needed. This module is the parser and the dispatch;
each command group lives in a module of its own (``info``, ``segment``, ``everything``, ``detect``,
``evaluate``, ``landcover``, ``finetune``, ``segmenter``, ``mapping``, ``fetch``), and what they share in ``common`` and ``options``.

Every user mistake (bad file, CRS, prompt, checkpoint) ends with exit code 2 and one ``error: ...`` line
on stderr, no traceback, and no output file left behind; an existing output file is replaced only after
success.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import SamCoreError
from .common import reset_progress
from .detect import add_detect_command, cmd_detect
from .evaluate import add_evaluate_command, cmd_evaluate
from .everything import add_everything_command, cmd_everything
from .fetch import add_fetch_command, cmd_fetch_checkpoint
from .finetune import add_finetune_command, cmd_finetune
from .info import add_info_command, cmd_info
from .landcover import add_landcover_commands, cmd_classify, cmd_train_classifier
from .mapping import add_mapping_commands, cmd_label_objects, cmd_map
from .options import boundary_message, check_args
from .segment import add_segment_commands, cmd_encode, cmd_segment
from .segmenter import add_segmenter_command, cmd_train_segmenter

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes in the same one-line form as every other error."""

    def error(self, message: str) -> None:
        raise SamCoreError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sam_core", description="TerraSAM core: Segment Anything on GeoTIFFs.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_info_command(commands)
    add_segment_commands(commands)  # encode, segment
    add_everything_command(commands)
    add_detect_command(commands)
    add_evaluate_command(commands)
    add_landcover_commands(commands)  # train-classifier, classify
    add_finetune_command(commands)
    add_segmenter_command(commands)
    add_mapping_commands(commands)  # map, label-objects
    add_fetch_command(commands)
    return parser


COMMANDS = {
    "info": cmd_info,
    "encode": cmd_encode,
    "segment": cmd_segment,
    "everything": cmd_everything,
    "detect": cmd_detect,
    "evaluate": cmd_evaluate,
    "train-classifier": cmd_train_classifier,
    "classify": cmd_classify,
    "finetune": cmd_finetune,
    "train-segmenter": cmd_train_segmenter,
    "map": cmd_map,
    "label-objects": cmd_label_objects,
    "fetch-checkpoint": cmd_fetch_checkpoint,
}

VALUE_OPTIONS = ("--point", "--box", "--extent")


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--point -75.5,24.5`` → ``--point=-75.5,24.5``: argparse would take the value for an option."""
    out: list[str] = []
    for token in argv:
        if (
            out
            and out[-1] in VALUE_OPTIONS
            and token[:1] == "-"
            and token[1:2].isdigit() | (token[1:2] == ".")
        ):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: list[str] | None = None, threads_default: bool = False) -> int:
    """Run one command; ``threads_default`` (the process entry point) sets torch's threads to the physical
    cores when ``--threads`` is not given (a test calling ``main`` keeps its own)."""
    reset_progress()
    try:
        args = build_parser().parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
        check_args(args)
        _set_threads(args, threads_default)
        return COMMANDS[args.command](args)
    except SamCoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImportError as exc:
        print(f"error: a required package is missing ({exc.name}); install requirements.txt", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # the last line of defence; the checks above come first
        message = boundary_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE


def _set_threads(args, by_default: bool) -> None:
    if not hasattr(args, "threads") or (args.threads is None and not by_default):
        return
    from ..sam.hardware import set_threads

    set_threads(args.threads)


def _exit_now(code: int) -> None:
    """End the process at once: a cancel must land within a second or two, and the interpreter's own
    shutdown with torch loaded takes seconds more. Outputs are renamed into place only on success and their
    temporary files are gone by now, so nothing is cut short."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run() -> None:
    code = main(threads_default=True)
    if code == EXIT_INTERRUPTED:
        _exit_now(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
