"""The content-addressed archive: every received file kept byte for byte under its SHA-256.

The archive lives in the configured storage (a folder, S3, Azure Blob) so that any worker
can reach it; the same bytes are stored once whoever sent them and however often.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence

from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs
from fsspec.utils import get_protocol


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(url: str) -> bytes:
    fs, path = url_to_fs(url)
    data: bytes = fs.cat_file(path)
    return data


def read_all(urls: Sequence[str]) -> list[bytes]:
    """The bytes of every file, in order, each storage's file system looked up once.

    Looking it up for each URL (parsing the URL, finding the cached instance) cost a
    fifth of reading a backfill's small files from a folder. A chained URL
    (`simplecache::s3://...`) is looked up on its own, as `read_bytes` does.
    """
    systems: dict[str, AbstractFileSystem] = {}
    contents = []
    for url in urls:
        if "::" in url:
            contents.append(read_bytes(url))
            continue
        protocol = get_protocol(url)
        if protocol not in systems:
            systems[protocol] = url_to_fs(url)[0]
        fs = systems[protocol]
        contents.append(fs.cat_file(fs._strip_protocol(url)))
    return contents


def archive_url_for(archive_root: str, sha256: str, file_name: str) -> str:
    suffix = posixpath.splitext(file_name)[1].lower()[:8]
    return posixpath.join(archive_root.rstrip("/"), sha256[:2], f"{sha256}{suffix}")


def archive(archive_root: str, sha256: str, file_name: str, data: bytes) -> str:
    """Store the bytes (once) and return where; checks the stored copy's hash when present."""
    url = archive_url_for(archive_root, sha256, file_name)
    fs, path = url_to_fs(url)
    if fs.exists(path) and sha256_of(fs.cat_file(path)) == sha256:
        return url
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    temporary = f"{path}.partial"
    with fs.open(temporary, "wb") as handle:
        handle.write(data)
    fs.mv(temporary, path)
    return url
