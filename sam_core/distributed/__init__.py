"""Batch runs on Dask distributed: a cluster joined (``--scheduler``) or started here (``--workers N``), and
the runner that ships a command's tasks (``tasks.Job``) to it. Dask's scheduler, retries and work stealing
do the distribution; this package only connects, submits in order and keeps per-worker state."""
