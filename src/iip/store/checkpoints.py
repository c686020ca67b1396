"""Named points of a write, for crash tests: a test asks a child process to stop at one and kills it there.

Every store transaction passes two checkpoints, ``<name>:before-commit`` (everything written, nothing committed)
and ``<name>:after-commit``. When the environment variable :data:`PAUSE_AT` names the point reached, the process
announces it on stderr (``iip-checkpoint <point>``) and stops itself (SIGSTOP); the test that started it then
kills it with SIGKILL at exactly that point -- never at a fraction of a measured run time. Unset (always, outside
tests), a checkpoint costs one dictionary lookup.
"""
from __future__ import annotations

import os
import signal
import sys

PAUSE_AT = "IIP_PAUSE_AT"
ANNOUNCE = "iip-checkpoint"


def checkpoint(point: str) -> None:
    """Stop here (announce, then SIGSTOP) when ``$IIP_PAUSE_AT`` is ``point``; otherwise do nothing."""
    if os.environ.get(PAUSE_AT) != point:
        return
    sys.stderr.write(f"{ANNOUNCE} {point}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGSTOP)
