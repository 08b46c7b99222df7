"""Finding returns in the landing area, through fsspec so any storage works the same.

Layout (SPEC.md): `<landing>/<reporter code>/anything.xlsx`. A file is taken only once it
has stopped changing, so a board copying a large file over a slow link is not read
half-written; Excel's lock files (`~$...`) and hidden files are never taken.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Iterable
from typing import Any

from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs

from domain.records import LandedFile
from domain.reference import is_reporter_code


def ignored(relative: str) -> bool:
    """Lock files, partial copies, hidden files and anything in a hidden folder (`.snapshot`).

    `relative` is the path under the landing area, with `/` between its parts: the watcher
    applies the same rule to the files it sees land.
    """
    parts = relative.split("/")
    name = parts[-1]
    return (
        any(part.startswith(".") for part in parts)
        or name.startswith("~$")
        or name.endswith((".tmp", ".part", ".crdownload"))
    )


def protocol_prefix(fs: AbstractFileSystem, url: str) -> str:
    """What comes before a path of `fs` in the URLs `pimh ingest` takes.

    Nothing for a local path, `s3://` and the like otherwise: the watcher names the files it
    sees land exactly as `discover` does, so the two never disagree about a file.
    """
    protocol = fs.protocol[0] if isinstance(fs.protocol, tuple | list) else fs.protocol
    return "" if protocol in ("file", "local") and "://" not in url else f"{protocol}://"


def _modified(info: dict[str, Any]) -> float | None:
    """The modification time a listing gives, as seconds since the epoch, where it gives one."""
    value = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _landed(
    prefix: str, root: str, path: str, size: int, modified: float | None = None
) -> LandedFile:
    relative = posixpath.relpath(path, root)
    top = relative.split("/")[0] if "/" in relative else ""
    reporter = top if top and is_reporter_code(top) else None
    return LandedFile(
        url=prefix + path,
        landing_root=prefix + root,
        folder=posixpath.dirname(relative),
        reporter_code=reporter,
        file_name=posixpath.basename(path),
        size=size,
        modified=modified,
    )


def _landing_root(folder: str) -> str:
    """The landing root for a folder: above the nearest reporter folder holding it, or itself.

    So a file or sub-folder named directly inside a reporter's folder belongs to the same
    reporter as when the whole landing area is searched.
    """
    current = folder
    while True:
        if is_reporter_code(posixpath.basename(current)):
            return posixpath.dirname(current)
        parent = posixpath.dirname(current)
        if parent == current:
            return folder
        current = parent


def discover(location: str) -> list[LandedFile]:
    """The files a path names: a landing root, one reporter's folder, or a single file."""
    fs, path = url_to_fs(location)
    path = path.rstrip("/") or "/"
    prefix = protocol_prefix(fs, location)
    if fs.isfile(path):
        if ignored(posixpath.basename(path)):
            return []
        root = _landing_root(posixpath.dirname(path))
        info = fs.info(path)
        return [_landed(prefix, root, path, int(info.get("size") or 0), _modified(info))]
    root = _landing_root(path)
    found: dict[str, Any] = fs.find(path, detail=True)
    return [
        _landed(prefix, root, name, int(info.get("size") or 0), _modified(info))
        for name, info in sorted(found.items())
        if info.get("type") == "file" and not ignored(posixpath.relpath(name, path))
    ]


def _fingerprint(fs: AbstractFileSystem, path: str) -> tuple[Any, Any] | None:
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return None
    return info.get("size"), info.get("mtime") or info.get("LastModified") or info.get("created")


def settled(
    files: Iterable[LandedFile], quiet_seconds: float, timeout: float
) -> tuple[list[LandedFile], list[LandedFile]]:
    """(files that stopped changing, files still being written when `timeout` ran out).

    A file counts as settled once its size and modification time are unchanged across
    `quiet_seconds`; a quiet period of zero takes every file as it is.
    """
    pending = list(files)
    if quiet_seconds <= 0 or not pending:
        return pending, []
    fs, _ = url_to_fs(pending[0].url)
    before = {f.url: _fingerprint(fs, url_to_fs(f.url)[1]) for f in pending}
    deadline = time.monotonic() + timeout
    ready: list[LandedFile] = []
    while pending:
        time.sleep(quiet_seconds)
        after = {f.url: _fingerprint(fs, url_to_fs(f.url)[1]) for f in pending}
        ready += [f for f in pending if after[f.url] == before[f.url] and after[f.url]]
        pending = [f for f in pending if f not in ready and after[f.url] is not None]
        before = after
        if time.monotonic() >= deadline:
            break
    return ready, pending
