"""The terminal chat owns the terminal while it runs: Ctrl-C is its own (a goodbye), not also
the signal that kills whatever started it (`make run` would report Error 130)."""
from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def foreground() -> Iterator[None]:
    """In a process group of its own, in the terminal's foreground, so that the Ctrl-C typed
    at the chat reaches only the chat; the terminal is handed back on the way out. Nothing
    changes when the input is not a terminal or job control is not available."""
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            raise OSError("not a terminal")
        before = os.tcgetpgrp(fd)
        os.setpgid(0, 0)
    except (OSError, AttributeError, ValueError):  # not a terminal, a session leader, Windows
        yield
        return
    quiet = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may take it
    try:
        os.tcsetpgrp(fd, os.getpgrp())
        owned = True
    except OSError:
        owned = False
    try:
        yield
    finally:
        if owned:
            try:
                os.tcsetpgrp(fd, before)
            except OSError:
                pass
        signal.signal(signal.SIGTTOU, quiet)
