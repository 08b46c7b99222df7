"""Telling when files have settled on storage that sends no change events: by listing it.

Object storage (`s3://`, `abfs://`, `memory://`) and network mounts that inotify cannot
see are listed over and over; a file is taken once the same fingerprint (size and
modification time, or ETag where that is all the store gives) is seen on two listings at
least `settle_seconds` apart. Each fingerprint is taken once, so a file replaced by new
bytes is taken again, and a file merely listed again is not.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from fsspec import AbstractFileSystem

from connectors.batches import SettledFile
from connectors.landing import ignored

# What each store calls a file's last change and its content tag (local and memory,
# S3, Azure, GCS); the first one present is the one used.
_CHANGED_KEYS = ("mtime", "LastModified", "last_modified", "updated", "created")
_TAG_KEYS = ("ETag", "etag", "md5Hash")

Fingerprint = tuple[str, str, str]


class Listed(NamedTuple):
    """One file as a listing shows it: what identifies this version of it, and its size."""

    fingerprint: Fingerprint
    size: int


def _first(info: Mapping[str, Any], keys: Iterable[str]) -> str:
    return next((str(info[key]) for key in keys if info.get(key) is not None), "")


def fingerprint(info: Mapping[str, Any]) -> Fingerprint:
    """Size, last change and content tag from an fsspec `info` dict (blank where absent)."""
    return str(info.get("size")), _first(info, _CHANGED_KEYS), _first(info, _TAG_KEYS)


def list_landing(fs: AbstractFileSystem, root: str, prefix: str) -> dict[str, Listed]:
    """Every file under `root` that could be a return, by URL, in one listing.

    The listing cache is dropped first: s3fs and adlfs keep listings, and a watcher shown
    an old one would never see a file land.
    """
    fs.invalidate_cache(root)
    found: dict[str, Any] = fs.find(root, detail=True)
    return {
        prefix + name: Listed(fingerprint(info), int(info.get("size") or 0))
        for name, info in sorted(found.items())
        if info.get("type") == "file" and not ignored(posixpath.relpath(name, root))
    }


class ListingSettler:
    """Which listed files have settled since the last listing; it reads no clock.

    `observe` is given each listing and the time it was made, and answers the files newly
    settled: unchanged for at least `settle_seconds`, and not yet taken in this version.
    """

    def __init__(self, settle_seconds: float) -> None:
        self._settle_seconds = settle_seconds
        self._first_seen: dict[str, tuple[Fingerprint, float]] = {}
        self._taken: dict[str, Fingerprint] = {}

    def skip(self, listing: Mapping[str, Listed], urls: Iterable[str]) -> None:
        """Count these files as taken in the version `listing` shows (the caller has them).

        A later version of one of them, new bytes under the same name, is taken as usual.
        """
        for url in urls:
            if url in listing:
                self._taken[url] = listing[url].fingerprint

    def observe(self, listing: Mapping[str, Listed], now: float) -> list[SettledFile]:
        """The files that settled by `now`, each version once."""
        settled: list[SettledFile] = []
        for url, listed in listing.items():
            seen = self._first_seen.get(url)
            if seen is None or seen[0] != listed.fingerprint:
                self._first_seen[url] = (listed.fingerprint, now)
                continue
            unchanged_for = now - seen[1]
            if unchanged_for >= self._settle_seconds and self._taken.get(url) != seen[0]:
                self._taken[url] = seen[0]
                settled.append(SettledFile(url, listed.size))
        # A file that went away and comes back is a new arrival, even with the same bytes.
        for url in (self._first_seen.keys() | self._taken.keys()) - listing.keys():
            self._first_seen.pop(url, None)
            self._taken.pop(url, None)
        return settled
