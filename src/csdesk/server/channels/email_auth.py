"""The receiving server's verdict on a mail's sender (RFC 8601 ``Authentication-Results``).

Which header to believe: every server on the way may add an Authentication-Results header,
and a sender can write any it likes into the mail, so only the one our receiving server added
counts: the topmost (headers are prepended on the way, so it is the last one added).  When the
mailbox is configured with its server's authserv-id (``--authserv-id``), only the topmost run
of headers carrying that id counts, and a mail whose topmost header names another id gets no
verdict at all.

What it says: a failure is shown to the agent as "Unverified sender: <reason>".  DMARC decides
when the server evaluated it (``dmarc=pass`` outweighs a failed SPF on forwarded mail); without
a DMARC result, ``spf=fail`` or a DKIM failure with no passing signature are reported.  The
absence of a warning is not a proof of the sender: no header, or a server that checks nothing,
gives no warning either.
"""

from __future__ import annotations

import re
from email.message import Message

from csdesk.server.channels.email_report import clean

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_.-]+)\s*(?:/\s*\d+)?\s*=\s*([a-z]+)(.*)$", re.I | re.S)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*([^\s;]+)", re.I)
_MAX_HEADERS = 20


def _strip_comments(value: str) -> str:
    for _ in range(5):  # nested comments
        stripped = _COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def parse(value: str) -> tuple[str, list[tuple[str, str, str]]]:
    """``(authserv-id, [(method, result, properties), ...])`` of one header value."""
    text = _strip_comments(re.sub(r"\s+", " ", value))
    first, *rest = text.split(";")
    authserv = (first.split() or [""])[0].strip().lower()
    found = []
    for item in rest:
        match = _RESULT.match(item)
        if match:
            found.append((match.group(1).lower(), match.group(2).lower(), match.group(3)))
    return authserv, found


def trusted_results(msg: Message, authserv_id: str | None = None) -> list[tuple[str, str, str]]:
    """The results of the headers our receiving server added (see the module docstring)."""
    headers = [v for k, v in msg.raw_items() if k.lower() == "authentication-results"]
    values = [clean(str(v)) for v in headers[:_MAX_HEADERS]]
    if not values:
        return []
    wanted = (authserv_id or "").strip().lower()
    if not wanted:
        return parse(values[0])[1]
    results: list[tuple[str, str, str]] = []
    for value in values:
        authserv, found = parse(value)
        if authserv != wanted:
            break
        results += found
    return results


def sender_warning(msg: Message, authserv_id: str | None = None) -> str | None:
    """Why the sender is unverified ("DMARC failed for example.com"), or None."""
    results = trusted_results(msg, authserv_id)
    by_method: dict[str, list[tuple[str, str]]] = {}
    for method, result, props in results:
        by_method.setdefault(method, []).append((result, props))
    dmarc = by_method.get("dmarc", [])
    for result, props in dmarc:
        if result == "fail":
            domain = _HEADER_FROM.search(props)
            where = f" for {domain.group(1).strip(chr(34))[:100]}" if domain else ""
            return f"DMARC failed{where}"
    if any(result == "pass" for result, _ in dmarc):
        return None
    failed = []
    if any(result == "fail" for result, _ in by_method.get("spf", [])):
        failed.append("SPF")
    dkim = [result for result, _ in by_method.get("dkim", [])]
    if "fail" in dkim and "pass" not in dkim:
        failed.append("DKIM")
    return " and ".join(failed) + " failed" if failed else None
