"""Just enough GraphQL for the fake Shopify: a query document parsed into fields (fragments
spread in), its requested cost counted as Shopify documents it, and a selection resolved
against the fake's data the way a GraphQL server answers it.

Shopify's cost (shopify.dev, "GraphQL Admin API rate limits"): a scalar or enum costs 0, an
object 1, a connection 2 plus ``first`` times the cost of one node; a list field sized by
``first`` costs ``first`` times one element. A query whose requested cost is over 1,000
points is refused (``MAX_COST_EXCEEDED``) before it runs.

Resolving: a field missing from the data is an error ("Field 'x' doesn't exist"), as is a
connection or list asked without ``first`` or with ``first`` outside 1..250, an ``after``
that is not a cursor this fake issued, a variable used but not declared, or a declared
``Type!`` variable not given. Connections are the fake's ``{"nodes": [...]}`` values and
answer ``pageInfo { hasNextPage endCursor }`` and ``nodes``; lists are Python lists.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

MAX_COST = 1000
MAX_FIRST = 250
_TOKEN = re.compile(
    r'\s+|,|#[^\n]*|(\.\.\.|[{}():!$\[\]=@]|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|[A-Za-z_]\w*)'
)


class GraphQLError(Exception):
    """The request is not what Shopify accepts; ``code`` as Shopify's ``extensions.code``."""

    def __init__(self, message: str, code: str = "GRAPHQL_VALIDATION_FAILED") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Field:
    name: str
    alias: str
    args: dict[str, Any] = field(default_factory=dict)
    children: list[Field] | None = None


@dataclass
class Operation:
    kind: str  # query / mutation
    name: str
    variables: dict[str, str]  # name -> type as written ("ID!", "String")
    fields: list[Field]


def cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def cursor_index(value: Any) -> int:
    try:
        text = base64.b64decode(str(value), validate=True).decode()
        if not text.startswith("cursor:"):
            raise ValueError(text)
        return int(text.removeprefix("cursor:"))
    except ValueError:
        raise GraphQLError("Invalid cursor for current pagination sort.") from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]
        if _TOKEN.sub("", text).strip():  # a character no token or space accounts for
            raise GraphQLError("Syntax error in the query document")
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise GraphQLError(f"Parse error: expected {expected or 'more'}, found {token}")
        self.at += 1
        return token

    def name(self) -> str:
        token = self.take()
        if not re.fullmatch(r"[A-Za-z_]\w*", token):
            raise GraphQLError(f"Parse error: expected a name, found {token}")
        return token

    def document(self) -> tuple[list[Operation], dict[str, list[Field]]]:
        operations: list[Operation] = []
        fragments: dict[str, list[Field]] = {}
        while self.peek() is not None:
            word = self.name()
            if word == "fragment":
                name = self.name()
                self.take("on")
                self.name()
                fragments[name] = self.selection()
            elif word in ("query", "mutation"):
                name = self.name() if self.peek() not in ("(", "{") else ""
                variables: dict[str, str] = {}
                if self.peek() == "(":
                    self.take("(")
                    while self.peek() != ")":
                        self.take("$")
                        var = self.name()
                        self.take(":")
                        variables[var] = self.type_()
                        if self.peek() == "=":
                            self.take("=")
                            self.value()
                    self.take(")")
                operations.append(Operation(word, name, variables, self.selection()))
            else:
                raise GraphQLError(f"Parse error on {word!r}")
        return operations, fragments

    def type_(self) -> str:
        if self.peek() == "[":
            self.take("[")
            inner = self.type_()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.name()
        if self.peek() == "!":
            self.take("!")
            text += "!"
        return text

    def value(self) -> Any:
        token = self.take()
        if token == "$":
            return ("$", self.name())
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            obj = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if token.startswith('"'):
            return token[1:-1]
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        if re.fullmatch(r"-?\d+\.\d+", token):
            return float(token)
        return {"true": True, "false": False, "null": None}.get(token, token)

    def selection(self) -> list[Field]:
        self.take("{")
        fields: list[Field] = []
        while self.peek() != "}":
            if self.peek() == "...":
                self.take("...")
                fields.append(Field("...", self.name()))
                continue
            alias = name = self.name()
            if self.peek() == ":":
                self.take(":")
                name = self.name()
            args: dict[str, Any] = {}
            if self.peek() == "(":
                self.take("(")
                while self.peek() != ")":
                    key = self.name()
                    self.take(":")
                    args[key] = self.value()
                self.take(")")
            children = self.selection() if self.peek() == "{" else None
            fields.append(Field(name, alias, args, children))
        self.take("}")
        if not fields:
            raise GraphQLError("Parse error: an empty selection")
        return fields


def _spread(fields: list[Field], fragments: dict[str, list[Field]], depth: int = 0) -> list[Field]:
    if depth > 10:
        raise GraphQLError("Fragment spreads nest too deep")
    out: list[Field] = []
    for f in fields:
        if f.name == "...":
            if f.alias not in fragments:
                raise GraphQLError(f"Fragment {f.alias} was used, but not defined")
            out.extend(_spread(fragments[f.alias], fragments, depth + 1))
        else:
            children = None if f.children is None else _spread(f.children, fragments, depth + 1)
            out.append(Field(f.name, f.alias, f.args, children))
    return out


def parse(text: str) -> Operation:
    """The one operation of ``text`` with its fragments spread in."""
    operations, fragments = _Parser(text).document()
    if len(operations) != 1:
        raise GraphQLError("A document must hold exactly one operation")
    op = operations[0]
    op.fields = _spread(op.fields, fragments)
    return op


class Request:
    """One operation and its variables: arguments resolved, cost counted, data resolved."""

    def __init__(self, op: Operation, variables: dict[str, Any]) -> None:
        self.op = op
        self.variables = variables
        for name, type_ in op.variables.items():
            if type_.endswith("!") and variables.get(name) is None:
                raise GraphQLError(
                    f"Variable ${name} of type {type_} was provided invalid value",
                    "INVALID_VARIABLE",
                )

    def arg(self, f: Field, name: str) -> Any:
        value = f.args.get(name)
        if isinstance(value, tuple) and value and value[0] == "$":
            if value[1] not in self.op.variables:
                raise GraphQLError(f"Variable ${value[1]} is used but not declared")
            return self.variables.get(value[1])
        return value

    def _first(self, f: Field) -> int:
        first = self.arg(f, "first")
        if first is None and "last" not in f.args:
            raise GraphQLError(f"you must provide one of first or last for the {f.name} connection")
        if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_FIRST:
            raise GraphQLError(f"{f.name}: first must be an Int between 1 and {MAX_FIRST}")
        return first

    # --- cost ---------------------------------------------------------------------------------

    def cost(self, shapes: dict[str, str]) -> int:
        """The requested cost; ``shapes`` names the connection and list fields (by name:
        ``"connection"`` or ``"list"``), every other field with a selection is an object."""
        return sum(self._cost(f, shapes) for f in self.op.fields)

    def _cost(self, f: Field, shapes: dict[str, str]) -> int:
        if f.children is None:
            return 0
        shape = shapes.get(f.name)
        if shape == "connection":
            node = next((c for c in f.children if c.name in ("nodes", "edges")), None)
            inner = 0 if node is None else self._cost(node, shapes)
            return 2 + self._first(f) * inner
        inner = sum(self._cost(c, shapes) for c in f.children)
        if shape == "list":
            return self._first(f) * (1 + inner) if "first" in f.args else 1 + inner
        return 1 + inner

    # --- resolving ----------------------------------------------------------------------------

    def resolve(self, fields: list[Field], data: dict[str, Any], type_name: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            if f.name == "__typename":
                out[f.alias] = type_name
                continue
            if f.name not in data:
                raise GraphQLError(f"Field '{f.name}' doesn't exist on type '{type_name}'")
            out[f.alias] = self._value(f, data[f.name])
        return out

    def _value(self, f: Field, value: Any) -> Any:
        if f.children is None:
            if isinstance(value, dict) or (
                isinstance(value, list) and any(isinstance(v, dict) for v in value)
            ):
                raise GraphQLError(f"Field must have selections ({f.name} is an object)")
            return value
        if value is None:
            return None
        kind = _type_name(f.name)
        if isinstance(value, dict) and set(value) == {"nodes"}:
            return self._connection(f, value["nodes"], kind)
        if isinstance(value, list):
            items = value[: self._first(f)] if "first" in f.args else value
            return [self.resolve(f.children, v, kind) for v in items]
        if not isinstance(value, dict):
            raise GraphQLError(f"Selections can't be made on scalars ({f.name})")
        return self.resolve(f.children, value, kind)

    def _connection(self, f: Field, rows: list[Any], kind: str) -> dict[str, Any]:
        first = self._first(f)
        after = self.arg(f, "after")
        start = 0 if after is None else cursor_index(after)
        if not 0 <= start <= len(rows):
            raise GraphQLError("Invalid cursor for current pagination sort.")
        chunk = rows[start : start + first]
        end = start + len(chunk)
        out: dict[str, Any] = {}
        for c in f.children or []:
            if c.name == "pageInfo":
                info = {
                    "hasNextPage": end < len(rows),
                    "hasPreviousPage": start > 0,
                    "endCursor": cursor(end) if chunk else None,
                    "startCursor": cursor(start) if chunk else None,
                }
                out[c.alias] = self.resolve(c.children or [], info, "PageInfo")
            elif c.name == "nodes":
                out[c.alias] = [self.resolve(c.children or [], r, kind) for r in chunk]
            else:
                raise GraphQLError(f"Field '{c.name}' is not one csdesk's fake serves")
        return out


def _type_name(field_name: str) -> str:
    return field_name[:1].upper() + field_name[1:]
