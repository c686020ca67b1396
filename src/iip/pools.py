"""One way to run work in other processes.

Workers are *spawned* (a fresh interpreter), never forked: a fork copies the parent's DuckDB, Arrow and
BLAS threads mid-flight, and a child can then deadlock or die ("a process in the process pool was
terminated abruptly"). Spawning costs an import of the worker's module once per worker.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable


def process_pool(workers: int, initializer: Callable[..., Any] | None = None) -> ProcessPoolExecutor:
    """A process pool of ``workers`` spawned interpreters (``initializer`` runs once in each)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=initializer)
