"""Fine-tuning tests: tiny models on one torch thread."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run in milliseconds on one thread; on two cores shared with other jobs, torch's second
    thread mostly waits (ten times slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
