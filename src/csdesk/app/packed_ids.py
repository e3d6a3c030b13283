"""A long list of ids kept in one bytes object: the inbox's ordered conversation ids.

A list of a million id strings is a million objects: the collector walks the list at every
collection that reaches it (12-19 ms each on the 2-core box, holding the interpreter lock
whatever thread runs it, so the window stalls), dropping it frees a million strings in one
C call (15-20 ms), and it takes ~110 bytes an id. Here each id is one fixed-width record of
its UTF-8 bytes padded with 0xFF (a byte UTF-8 never uses): the collector never looks inside
a bytes object, it is freed at once, and it takes 36 bytes a uuid. Reading an id decodes its
record; ``index`` is a byte search (one C call, aligned to records).

Ids are 36 characters at most (``storage.models.ID``). One longer than a uuid's 36 bytes
widens every record once, to 144 (36 characters of UTF-8 at most); one longer than that
(a cache filled by something else) keeps the ids as a plain list: correct, only slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import overload

#: The record width to start with (a uuid); a longer id widens every record to WIDE.
WIDTH = 36
WIDE = 4 * WIDTH
PAD = 0xFF
_PAD = bytes([PAD])
#: Ids encoded per join while packing, and bytes compared per call by ``same``.
BATCH = 4096
SPAN = 1 << 20


def _encode(cid: str) -> bytes:
    return cid.encode("utf-8", "surrogatepass")


def _decode(record: bytes) -> str:
    return record.rstrip(_PAD).decode("utf-8", "surrogatepass")


def _widen(blob: bytes, old: int, new: int) -> bytes:
    pad = _PAD * (new - old)
    return b"".join(blob[i : i + old] + pad for i in range(0, len(blob), old))


def _records(blob: bytes, width: int) -> Iterator[str]:
    for i in range(0, len(blob), width):
        yield _decode(blob[i : i + width])


class PackedIds(Sequence[str]):
    """An immutable sequence of ids (``str``), read like a list."""

    __slots__ = ("_blob", "_plain", "_width")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        width = WIDTH
        parts: list[bytes] = []
        batch: list[bytes] = []
        self._plain: list[str] | None = None

        def flush() -> None:
            parts.append(b"".join(raw.ljust(width, _PAD) for raw in batch))
            batch.clear()

        it = iter(ids)
        for cid in it:
            raw = _encode(cid)
            if len(raw) > width:  # rare: an id longer than a uuid widens what came before
                flush()
                if len(raw) > WIDE:  # not an id of this schema: kept as it is, in a list
                    self._plain = [*_records(b"".join(parts), width), cid, *it]
                    break
                parts[:] = [_widen(b"".join(parts), width, WIDE)]
                width = WIDE
            batch.append(raw)
            if len(batch) >= BATCH:
                flush()
        flush()
        self._blob = b"" if self._plain is not None else b"".join(parts)
        self._width = width

    def __len__(self) -> int:
        if self._plain is not None:
            return len(self._plain)
        return len(self._blob) // self._width

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if self._plain is not None:
            return self._plain[index]
        if isinstance(index, slice):
            return [self._at(i) for i in range(len(self))[index]]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("PackedIds index out of range")
        return self._at(index)

    def _at(self, i: int) -> str:
        w = self._width
        return _decode(self._blob[i * w : (i + 1) * w])

    def __iter__(self) -> Iterator[str]:
        if self._plain is not None:
            return iter(self._plain)
        return _records(self._blob, self._width)

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """The first row of ``value`` in ``[start, stop)``: a byte search over the records."""
        if self._plain is not None:
            return self._plain.index(value, start, len(self._plain) if stop is None else stop)  # type: ignore[arg-type]
        n = len(self)
        stop = n if stop is None else stop
        start, stop = (max(0, min(n, x + n if x < 0 else x)) for x in (start, stop))
        raw = _encode(value) if isinstance(value, str) else None
        w = self._width
        if raw is None or len(raw) > w:
            raise ValueError(f"{value!r} is not in the list")
        record = raw.ljust(w, _PAD)
        at, end = start * w, stop * w
        while True:
            at = self._blob.find(record, at, end)
            if at < 0:
                raise ValueError(f"{value!r} is not in the list")
            if at % w == 0:
                return at // w
            at += w - at % w  # across two records (only ids of the full width): the next

    def __contains__(self, value: object) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def same(self, other: PackedIds) -> bool:
        """``self == other``, compared a megabyte per C call (not one long one). The width is
        set by the longest id, so equal ids have equal widths."""
        if self._plain is not None or other._plain is not None:
            return list(self) == list(other) if len(self) == len(other) else False
        if self._width != other._width or len(self._blob) != len(other._blob):
            return False
        a, b = memoryview(self._blob), memoryview(other._blob)
        return all(a[i : i + SPAN] == b[i : i + SPAN] for i in range(0, len(a), SPAN))

    def __eq__(self, other: object) -> bool:
        """Equal to the same ids, packed or in a list (not a tuple: as a list is not)."""
        if isinstance(other, PackedIds):
            return self.same(other)
        if isinstance(other, list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable like them

    def __repr__(self) -> str:
        return f"PackedIds({len(self)} ids)"

    def nbytes(self) -> int:
        """The bytes the ids take (0 when kept as a list)."""
        return len(self._blob)
