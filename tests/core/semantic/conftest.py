"""Segmentation-head tests: tiny models on one torch thread (the root conftest's ``one_torch_thread``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_thread(one_torch_thread):
    yield
