"""WhatsApp template text: its positional placeholders and what the customer finally reads.

Shared by the server (which renders what it stores and checks the parameter count) and the
desk (which previews it live), so the preview is exactly what the thread will show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_ANY_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


def parameter_count(body: str) -> int:
    """How many parameters ``body`` takes: its highest ``{{n}}`` (Meta numbers them 1..n)."""
    return max((int(n) for n in _PLACEHOLDER.findall(body)), default=0)


def only_positional(text: str) -> bool:
    """Whether every placeholder is ``{{n}}`` (named ones need a different send payload)."""
    return len(_ANY_PLACEHOLDER.findall(text)) == len(_PLACEHOLDER.findall(text))


def has_placeholder(text: str) -> bool:
    return _ANY_PLACEHOLDER.search(text) is not None


#: What Meta refuses in a parameter's text (error 132018): a line break, a tab, or more than
#: four spaces in a row.
_BAD_PARAMETER = re.compile(r"[\r\n\t]| {5}")


def parameter_refused(value: str) -> bool:
    """Whether Meta would refuse ``value`` as a parameter, so the send would fail later."""
    return _BAD_PARAMETER.search(value) is not None


def render(body: str, parameters: Sequence[str], header: str = "", footer: str = "") -> str:
    """Header, body with ``{{n}}`` replaced by parameter n, footer; a missing one stays as is."""

    def fill(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return parameters[index] if 0 <= index < len(parameters) else match.group(0)

    parts = [header, _PLACEHOLDER.sub(fill, body), footer]
    return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Template:
    """An approved template csdesk can send (body parameters only); the same record on the
    server (its cached copy of Meta's list) and on the desk (the template dialog)."""

    name: str
    language: str
    category: str
    body: str
    header: str = ""
    footer: str = ""
    #: Meta's example values for {{1}}, {{2}}... (labels for the parameter fields).
    examples: tuple[str, ...] = ()

    @property
    def parameter_count(self) -> int:
        return parameter_count(self.body)

    def render(self, parameters: Sequence[str]) -> str:
        """The text the customer receives: header, body with parameters filled, footer."""
        return render(self.body, parameters, self.header, self.footer)

    def example(self, index: int) -> str:
        """Meta's example for parameter ``index`` (0-based), or ""."""
        return self.examples[index] if 0 <= index < len(self.examples) else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "body": self.body,
            "header": self.header,
            "footer": self.footer,
            "examples": list(self.examples),
            "parameter_count": self.parameter_count,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Template:
        return cls(
            name=str(data["name"]),
            language=str(data["language"]),
            category=str(data.get("category") or ""),
            body=str(data.get("body") or ""),
            header=str(data.get("header") or ""),
            footer=str(data.get("footer") or ""),
            examples=tuple(str(e) for e in data.get("examples") or ()),
        )
