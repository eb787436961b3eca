"""Pixel-level class maps from the frozen SAM encoder: segmentation heads, their training, a UNet baseline,
maps of a raster and a class for every object.

The second case study of the frozen-encoder transfer study (the README's References [1]): SAM-CONV and
SAM-ViT heads on SAM's image embedding against a UNet trained from scratch on the same patches.

- ``dataset``   class-labelled images (``ClassImage``/``ClassSet``) and their patches
- ``folder``    the folder form: ``images/`` + ``masks/`` of class codes (+ ``split.csv``, ``classes.json``)
- ``gis_form``  the GIS form: a raster + class polygons or a label raster (+ region, split field)
- ``heads``     SAM-CONV, SAM-ViT and the UNet baseline
- ``train``     each patch encoded once, a head trained on the embeddings, test scores and the majority baseline
- ``head_file`` the trained head with its classes, colours, patch size and encoder identity
- ``report``    ``summary.json``, curves, box plots and example rows comparing the heads
- ``mapping``   a raster → the class GeoTIFF and the area per class (``blend``: tiles' probabilities
                blended strip by strip; ``class_raster``: the styled GeoTIFF; ``class_polygons``: regions,
                areas, road lengths)
- ``label_objects`` a class and the runner-up for every polygon of a layer (a segmentation head, or a
                land-cover head through ``landcover.objects``)
"""
