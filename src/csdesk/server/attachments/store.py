"""Content-addressed attachment files in the server's data directory.

Files, not database rows: a 20 MB PDF would bloat every backup and every page of the change
feed; the message row keeps the metadata and the SHA-256 that names the file. The same file
sent twice is stored once. Several server processes may share the directory (a shared volume)
as they share the database: writes are atomic renames, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

_SHA = re.compile(r"[0-9a-f]{64}")


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA.fullmatch(sha256):
            raise ValueError("not a SHA-256 name")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once); returns its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha)
        if path.exists():
            os.utime(path)  # stored again: the upload sweep sees it as new (see sweep.py)
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def incoming(self) -> Incoming:
        """A file being received piece by piece (an upload), hashed as it is written, so that
        no upload is ever held in memory whole; ``Incoming.keep`` stores it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        return Incoming(self, Path(tmp), os.fdopen(fd, "wb"))

    def path(self, sha256: str) -> Path | None:
        """The file for ``sha256``, or None when it is not here."""
        try:
            path = self._path(sha256)
        except ValueError:
            return None
        return path if path.is_file() else None


class Incoming:
    """See ``AttachmentStore.incoming``: ``write`` the pieces, then ``keep`` (or ``discard``)."""

    def __init__(self, store: AttachmentStore, tmp: Path, out: BinaryIO) -> None:
        self._store = store
        self._tmp = tmp
        self._out = out
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def keep(self) -> str:
        """Store the file received (once, as ``put`` does); returns its SHA-256."""
        sha = self.sha256
        path = self._store._path(sha)
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
            if path.exists():
                os.utime(path)  # stored again: the upload sweep sees it as new
                return sha
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, path)
        finally:
            self.discard()
        return sha

    def discard(self) -> None:
        """Forget the file received (a refused or broken upload)."""
        if not self._out.closed:
            self._out.close()
        self._tmp.unlink(missing_ok=True)
