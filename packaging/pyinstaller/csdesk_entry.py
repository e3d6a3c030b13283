"""PyInstaller's entry script for csdesk.spec: the ``csdesk`` command, nothing more.

A script rather than ``-m csdesk`` because PyInstaller analyses a file; keeping it this thin
means the frozen app and the installed command run the same ``csdesk.__main__.main``, hidden
``--server-cli`` switch included."""

from __future__ import annotations

import sys

from csdesk.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
