"""``csdesk``: the agent workstation. With no server named it starts the embedded default."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.server:
        print(
            "csdesk: the workstation window is not built yet; "
            "only the embedded server can be started",
            file=sys.stderr,
        )
        return 2
    return _serve_embedded()


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
