"""Text that goes into one mail header line (a subject): every character Python's ``email``
package treats as a line break becomes a space, so outside text (a customer's subject) can
neither add a header nor make the package refuse the header and with it every reply."""

from __future__ import annotations

import re

#: What ``str.splitlines`` breaks on (CR, LF, VT, FF, FS, GS, RS, NEL, LS, PS), plus tab and
#: NUL; the ``email`` package refuses a header value holding any of the line breaks.
_BREAKS = re.compile("[\r\n\t\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def one_line(text: str | None) -> str:
    """``text`` on one line, trimmed."""
    return _BREAKS.sub(" ", text or "").strip()
