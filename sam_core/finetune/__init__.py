"""Fine-tuning SAM's mask decoder on the user's labels, and detecting objects with the result.

The recipe (Nasriddinov 2024, see the README's References): frozen image and prompt encoders, only the mask
decoder trained; images resized to 512/1024/2048, cut into 256 px patches; Dice + cross-entropy; a
probability threshold picked on validation; accuracy = share of test images with IoU > 0.5.

- ``dataset``   the labelled images (``TuningImage``/``TuningSet``) both data forms become
- ``folder``    the folder form: ``images/`` + ``masks/`` (+ ``split.csv``)
- ``labels``    the GIS form: a raster plus a polygon layer (+ split field, + complete-labelling region)
- ``predict``   one patch's embedding + prompts → mask logits (training, validation, detection share it)
- ``loss``, ``train``, ``threshold``, ``report``   the recipe, the sweep over sizes, the report
- ``detect``    a raster → blended probabilities window by window → measured polygons
"""
