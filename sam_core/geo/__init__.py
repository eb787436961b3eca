"""Georeferencing: rasters read window by window, the tile grid, CRS transforms, ground resolution, geodesic
measures, masks to polygons, and the vector/image files the core writes."""
