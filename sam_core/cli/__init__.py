"""``python -m sam_core``: the parser, one validation layer for options, and the commands."""
