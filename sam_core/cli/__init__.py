"""``python -m sam_core``: the parser and dispatch (``main``), one module per command group (``info``,
``segment``, ``everything``, ``evaluate``, ``landcover``, ``fetch``), the options check (``options``) and
what the groups share (``common``)."""
