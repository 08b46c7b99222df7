"""Deciding from a file's bytes alone whether it is safe to hand to the workbook parser.

A return is untrusted input: the bytes must be a zip workbook of sane expanded size before
calamine sees them, and common mistakes (an old .xls, a password) deserve their own words.
"""

from __future__ import annotations

import io
import zipfile
from typing import Literal

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
    the members can cost, whatever the compressed bytes claim.
    """
    return sum(info.file_size for info in archive.infolist() if info.filename.startswith(prefix))


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
            expanded = unpacked_size(archive)
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UnreadableWorkbookError(
            "The workbook is damaged and cannot be opened. Save it again from Excel and resend."
        ) from exc
    if expanded > max_expanded_bytes:
        raise UnreadableWorkbookError(
            f"The workbook expands to {_megabytes(expanded)} when opened, above the "
            f"{_megabytes(max_expanded_bytes)} limit for a return."
        )
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype.strip() == _ODS_MIMETYPE:
        return "ods"
    raise UnreadableWorkbookError(
        "The file is a zip archive but not an Excel (.xlsx, .xlsm) or OpenDocument (.ods) workbook."
    )
