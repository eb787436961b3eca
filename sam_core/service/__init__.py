"""The core as a process of its own for the QGIS plugin: the pipe protocol, the plugin's client (standard
library only, imported inside QGIS), the server loop, and the engine that holds the interactive state."""
