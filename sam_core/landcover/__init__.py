"""Land-cover classification with the frozen SAM encoder: labelled patches, pooled features, trained heads,
training, class scores and charts, and land-cover cells over a raster."""
