"""A server started by a desk lives only as long as that desk (the embedded default).

The desk holds the write end of a pipe on the server's stdin and never writes to it; when the
desk ends in any way (quit, crash, ``kill -9``) the operating system closes it, the read here
sees end-of-file, and the server shuts down as on SIGTERM. This works on every platform; the
desk adds a parent-death signal on Linux and a job object on Windows (``csdesk.embedded``).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import BinaryIO

log = logging.getLogger(__name__)

#: After end-of-file, how long a graceful shutdown may take before the process just exits.
GRACE_SECONDS = 10.0


def _watch(stream: BinaryIO, grace: float) -> None:
    try:
        while stream.read(4096):
            pass  # nothing is ever sent; anything that is, is ignored
    except (OSError, ValueError):
        pass  # a closed or broken pipe is the same news as end-of-file
    log.warning("the desk that started this server is gone; shutting down")
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's own graceful shutdown
    time.sleep(grace)
    os._exit(0)  # the graceful shutdown did not finish: do not outlive the desk anyway


def exit_with_stdin(stream: BinaryIO | None = None, grace: float = GRACE_SECONDS) -> None:
    """Shut this process down when ``stream`` (default: stdin) reaches end-of-file."""
    source = stream if stream is not None else sys.stdin.buffer
    threading.Thread(
        target=_watch, args=(source, grace), name="csdesk-lifeline", daemon=True
    ).start()
