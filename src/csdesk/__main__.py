"""``csdesk``: the agent workstation. With no server named it starts the embedded default."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from csdesk.embedded import SERVER_CLI_SWITCH

if TYPE_CHECKING:
    from csdesk.embedded import EmbeddedServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csdesk", description=__doc__)
    parser.add_argument(
        "--server",
        metavar="URL",
        default=None,
        help="a csdesk sync server; default: start a local one with demo data",
    )
    parser.add_argument(
        "--server-only",
        action="store_true",
        help="start the embedded server with demo data and wait (no window)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start as usual, exit 0 once the inbox has loaded (1 if it does not within "
        "two minutes): checks an installation or a packaged build",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [SERVER_CLI_SWITCH]:
        # A frozen build has no ``python -m``: the embedded server runs as ``csdesk
        # --server-cli serve …`` (csdesk.embedded.server_command). Kept out of --help.
        from csdesk.server.cli import main as server_cli

        _reattach_std_streams()
        return server_cli(argv[1:])
    args = build_parser().parse_args(argv)
    if args.server_only:
        return _serve_embedded()
    # The embedded server starts first, so its imports and start-up overlap the window's.
    spawned = None if args.server else _spawn_if_embedded()
    # Importing the desk allocates ~100 k objects (modules, classes, functions) that live as
    # long as it does; the cyclic collector's passes over them as they pile up cost ~10% of
    # the import. None of it is garbage: the collector waits, then leaves them out for good
    # (gc.freeze, as ui.app does for the window once it shows).
    gc.disable()
    try:
        from csdesk.ui.app import main as run_window
    finally:
        gc.freeze()
        gc.enable()

    return run_window(args.server, self_test=args.self_test, spawned=spawned)


def _spawn_if_embedded() -> EmbeddedServer | None:
    """Start the embedded server's child now when the settings name no server (the window
    waits for it later); None when a server is named or the child cannot start (the window
    then says why, as before)."""
    from csdesk import embedded
    from csdesk.settings import SERVER_URL, Settings

    settings, _notice = Settings.load()
    if settings.get(SERVER_URL):
        return None
    try:
        return embedded.spawn()
    except OSError:
        return None


def _reattach_std_streams() -> None:
    """A windowed frozen build (Windows, macOS) starts with ``sys.stdout``/``sys.stderr`` set
    to None even when the parent handed it a log file, and uvicorn's logging then fails. Use
    the inherited descriptors when they are open, else discard the output."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
            stream = open(fd, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
        except OSError:
            stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        setattr(sys, name, stream)


def _serve_embedded() -> int:
    from csdesk import embedded

    try:
        server = embedded.start()
    except embedded.EmbeddedError as exc:
        print(f"csdesk: {exc}", file=sys.stderr)
        return 1
    print(
        f"csdesk: local sync server with the demo store at {server.url}\n"
        f"        sign in as {embedded.DEMO_USER!r} / {embedded.DEMO_PASSWORD!r}; "
        "Ctrl+C stops it",
        flush=True,
    )
    try:
        server.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
