"""Fill ``{first_name}``-style placeholders in canned responses.

Templates are written by agents and supervisors, not programmers, so the rules favour what a
customer ends up reading:

* A placeholder we cannot fill (no value, a blank value, or a name we do not know, such as a typo
  like ``{frist_name}``) stays in the text exactly as written and is reported in
  ``Filled.missing``. The composer can then highlight it; silently dropping it would send
  "Hi ," to a customer.
* Anything that is not a well-formed placeholder (a lone ``{``, ``{ first name }``, ``{}``) is
  ordinary text. Filling never raises, unlike ``str.format``.
* ``{{`` and ``}}`` stand for literal braces, as in ``str.format``, so a template can show
  ``{order_number}`` to a customer.
* Values are inserted once, in a single pass: braces inside a customer's name are never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "PLACEHOLDERS",
    "Filled",
    "fill",
    "placeholders_in",
    "split_name",
]

# The names the app knows how to fill, in the order an "insert placeholder" menu shows them.
PLACEHOLDERS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "customer_name",
    "customer_email",
    "customer_phone",
    "order_number",
    "order_status",
    "order_total",
    "tracking_number",
    "carrier",
    "delivery_eta",
    "return_status",
    "refund_amount",
    "agent_name",
    "agent_first_name",
    "store_name",
)

# ``{{`` / ``}}`` first, so an escaped brace is never read as the start of a placeholder. Any
# identifier counts (not only known lower-case names) so that ``{First_Name}`` is reported as
# missing instead of reaching the customer unnoticed.
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Filled:
    """The filled text and, once each in order of appearance, the placeholders left unfilled."""

    text: str
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def fill(template: str, values: Mapping[str, str | None]) -> Filled:
    """Replace each placeholder that has a non-blank value; leave and report the others."""
    missing: dict[str, None] = {}

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        value = values.get(name)
        if value is None or not value.strip():
            missing.setdefault(name, None)
            return token
        return value

    return Filled(_TOKEN.sub(replace, template), tuple(missing))


def placeholders_in(template: str) -> tuple[str, ...]:
    """The placeholder names ``template`` uses, once each, in order; escaped ones excluded."""
    names: dict[str, None] = {}
    for match in _TOKEN.finditer(template):
        if match.group(1) is not None:
            names.setdefault(match.group(1), None)
    return tuple(names)


def split_name(full_name: str) -> tuple[str, str]:
    """Guess ``(first, last)`` from the single name a customer record holds.

    Only a guess (the first word, then the rest), good enough for "Hi {first_name}" in the
    languages the demo store serves; the agent sees the filled text before sending it.
    """
    parts = full_name.split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])
