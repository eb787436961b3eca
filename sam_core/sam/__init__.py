"""Segment Anything itself: checkpoint loading and download, the image encoder with its embedding cache, and
the encoder's time estimate. Random-weight SAMs for tests, benchmarks and the offline demo live here too."""
