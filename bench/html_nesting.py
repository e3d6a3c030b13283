"""Email HTML sanitizing time, deeply nested against flat markup of the same size.

    python bench/html_nesting.py [--sizes 10000 50000 100000] [--rounds 3] [--unbounded]

Each row sanitizes N elements two ways: nested (``<div>`` N deep, or N nested tables) and flat
(N siblings), padded to the same byte size, with the server's ``sanitize_email_html`` (bounding
pass + nh3).  Linear means the nested/flat ratio stays near 1 as N grows.  ``--unbounded`` also
times nh3 alone on the nested input, the path before the bounding pass (quadratic: keep N small).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from _common import machine, parser, table
from csdesk.server.channels.html_sanitize import _sanitize, sanitize_email_html
from csdesk.ui.rich_text import bound_for_qt

SHAPES: dict[str, tuple[Callable[[int], str], Callable[[int], str]]] = {
    "div": (
        lambda n: "<div>" * n + "x" + "</div>" * n,
        lambda n: "<div>x</div>" * n,
    ),
    "table": (
        lambda n: "<table><tr><td>" * n + "x" + "</td></tr></table>" * n,
        lambda n: "<table><tr><td>x</td></tr></table>" * n,
    ),
}


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    p = parser(__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--unbounded", action="store_true")
    args = p.parse_args()
    rows = []
    for shape, (nested_of, flat_of) in SHAPES.items():
        for n in args.sizes:
            nested, flat = nested_of(n), flat_of(n)
            size = max(len(nested), len(flat))
            nested, flat = nested.ljust(size), flat.ljust(size)  # same bytes, spaces as text
            t_nested = best(lambda h=nested: sanitize_email_html(h), args.rounds)
            t_flat = best(lambda h=flat: sanitize_email_html(h), args.rounds)
            t_desk = best(lambda h=nested: bound_for_qt(h), args.rounds)
            old: float | str = best(lambda h=nested: _sanitize(h), 1) if args.unbounded else "-"
            rows.append((shape, n, size // 1000, t_flat, t_nested, t_nested / t_flat, t_desk, old))
    print(machine())
    print(
        table(
            [
                "shape",
                "elements",
                "kB",
                "flat s",
                "nested s",
                "nested/flat",
                "desk bound s",
                "nh3 alone, nested s",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
