"""Deciding from a file's bytes alone whether it is safe to hand to the workbook parser.

A return is untrusted input: the bytes must be a zip workbook of sane expanded size before
calamine sees them, and common mistakes (an old .xls, a password) deserve their own words.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Final, Literal

from connectors.ooxml import structure_problem

WorkbookFormat = Literal["xlsx", "ods"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class UnreadableWorkbookError(Exception):
    """The file cannot be read as a return; the message is written for the reporter."""


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def unpacked_size(archive: zipfile.ZipFile, prefix: str = "") -> int:
    """What the members whose names start with `prefix` say they unpack to.

    zipfile never inflates a member past its declared size, so this bounds what reading
    the members with zipfile (openpyxl does) can cost. calamine trusts no such claim:
    see `inflated_size` for what reading with it costs.
    """
    return sum(info.file_size for info in archive.infolist() if info.filename.startswith(prefix))


# Deflate cannot expand its input more than about 1032 times: a file this much smaller
# than the limit cannot reach it, whatever its members claim, and need not be inflated.
_DEFLATE_MOST: Final = 1032
_LOCAL_HEADER: Final = struct.Struct("<4s5H3I2H")
_INFLATE_STEP: Final = 1 << 20


class _TooLargeError(Exception):
    pass


def inflated_size(data: bytes, archive: zipfile.ZipFile, limit: int) -> int:
    """How many bytes the members really inflate to, counted, stopping past `limit`.

    A member's declared size can lie (a 2 KB claim that inflates to 1.5 GB), and calamine
    inflates what is there, not what is declared; so the raw deflate streams are inflated
    here, a megabyte at a time, counting. Members compressed otherwise than Excel does
    (stored or deflated) are refused. Returns a number above `limit` as soon as it knows.
    """
    infos = archive.infolist()
    methods = {info.compress_type for info in infos}
    if not methods <= {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}:
        raise UnreadableWorkbookError(
            "The workbook is compressed in a way Excel does not use, so it cannot be read. "
            "Save it again from Excel and resend."
        )
    if len(data) * _DEFLATE_MOST <= limit:
        return sum(info.compress_size for info in infos)  # at most this much: within limit
    total = 0
    for info in infos:
        total += _member_size(data, info, limit - total)
        if total > limit:
            return total
    return total


def _member_size(data: bytes, info: zipfile.ZipInfo, budget: int) -> int:
    """One member's inflated size, or more than `budget` once it passes it."""
    header = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    start = info.header_offset + _LOCAL_HEADER.size + header[-2] + header[-1]
    raw = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size, pending = 0, raw.tobytes()
    while pending and size <= budget:
        size += len(inflater.decompress(pending, _INFLATE_STEP))
        pending = inflater.unconsumed_tail
    return size + (len(inflater.flush()) if size <= budget else 0)


def sniff_workbook(data: bytes, max_bytes: int, max_expanded_bytes: int) -> WorkbookFormat:
    """The workbook format of `data`, or UnreadableWorkbook saying why it cannot be read."""
    if len(data) == 0:
        raise UnreadableWorkbookError("The file is empty.")
    if len(data) > max_bytes:
        raise UnreadableWorkbookError(
            f"The file is {_megabytes(len(data))}, above the {_megabytes(max_bytes)} limit "
            "for a return. Remove anything that is not part of the return and send it again."
        )
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise UnreadableWorkbookError(
                "The workbook is password-protected, so it cannot be read. Remove the "
                "password (File > Info > Protect Workbook) and send it again."
            )
        raise UnreadableWorkbookError(
            "This is an old-style Excel 97-2003 (.xls) file. Save it as an Excel Workbook "
            "(.xlsx) using the return template and send it again."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise UnreadableWorkbookError(
            "The file is not an Excel (.xlsx, .xlsm) or OpenDocument (.ods) workbook."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            declared = unpacked_size(archive)
            inflated = inflated_size(data, archive, max_expanded_bytes)
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
            # Its parts are read only once its size is known to be within the limit.
            within = max(declared, inflated) <= max_expanded_bytes
            structure = (
                structure_problem(archive, data) if within and "xl/workbook.xml" in names else None
            )
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, zlib.error, struct.error) as exc:
        raise UnreadableWorkbookError(
            "The workbook is damaged and cannot be opened. Save it again from Excel and resend."
        ) from exc
    if declared > max_expanded_bytes:
        raise UnreadableWorkbookError(
            f"The workbook expands to {_megabytes(declared)} when opened, above the "
            f"{_megabytes(max_expanded_bytes)} limit for a return."
        )
    if inflated > max_expanded_bytes:  # it claims less than it holds
        raise UnreadableWorkbookError(
            f"The workbook expands to more than {_megabytes(max_expanded_bytes)} when opened "
            "(the limit for a return), though it claims less. Save it again from Excel and "
            "resend."
        )
    if structure is not None:
        raise UnreadableWorkbookError(
            f"The workbook is damaged: {structure}, so Excel itself would not open it. Save "
            "it again from Excel and resend."
        )
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype.strip() == _ODS_MIMETYPE:
        return "ods"
    raise UnreadableWorkbookError(
        "The file is a zip archive but not an Excel (.xlsx, .xlsm) or OpenDocument (.ods) workbook."
    )
