"""Pixel-level class maps from the frozen SAM encoder: segmentation heads, their training, and a UNet baseline.

The second case study of the frozen-encoder transfer study (the README's References [1]): SAM-CONV and
SAM-ViT heads on SAM's image embedding against a UNet trained from scratch on the same patches.

- ``dataset``   class-labelled images (``ClassImage``/``ClassSet``) and their patches
- ``folder``    the folder form: ``images/`` + ``masks/`` of class codes (+ ``split.csv``, ``classes.json``)
- ``heads``     SAM-CONV, SAM-ViT and the UNet baseline
- ``train``     each patch encoded once, a head trained on the embeddings, test scores and the majority baseline
- ``head_file`` the trained head with its classes, colours, patch size and encoder identity
- ``report``    ``summary.json`` and ``curves.png`` comparing the heads
"""
