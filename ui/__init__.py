"""Qt/QGIS side of the TerraSAM plugin: the dock and what it needs inside QGIS.

Everything here may import ``qgis`` and ``qgis.PyQt``; the geospatial and model work runs in the engine
process (``sam_core``), never in QGIS. Modules: ``dock`` (widgets) and ``controller`` (its behaviour, wiring
its parts ``prompt_controller``, ``view_jobs``, ``output_target`` and ``controller_base``), ``map_tools`` and
``prompt_place`` (clicks and boxes), ``tasks`` (engine calls as QgsTasks), ``output_layers`` and
``layer_style`` (result layers), ``model_download`` (Get a model…), ``engine_setup`` / ``engine_installer``
/ ``engine_check`` / ``dependencies`` (which Python runs the engine, and setting one up), ``settings``.
"""
