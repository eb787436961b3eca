"""Scores against reference data: pixel and object metrics, and evaluation of files on one grid."""
