"""The reporter's own workbook, handed back with every problem marked where it sits.

A list of cell references is easy to misread; a red cell in the reporter's own file is
not. Annotation is a courtesy on top of the HTML report, never a substitute: whenever
the workbook cannot be marked up safely (not a workbook openpyxl can read, an .ods,
too large, or anything openpyxl chokes on), `annotate_workbook` returns None and the
reporter still gets the HTML.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Sequence
from pathlib import PurePath
from typing import Final

from connectors.ooxml import structure_problem
from connectors.sniff import inflated_size, unpacked_size
from domain.issues import Issue
from feedback.annotate_openpyxl import annotate_openpyxl
from feedback.annotate_xml import annotate_xml
from feedback.marking import decide_marking
from feedback.subject import FeedbackSubject

logger = logging.getLogger(__name__)

ANNOTATABLE_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
# A small zip can unpack into gigabytes; real returns unpack to a few times their size.
MAX_UNPACK_RATIO: Final = 10


# openpyxl holds every cell as a Python object: a workbook whose sheets unzip past this
# (a real return's are tens of kilobytes) would cost hundreds of megabytes to annotate,
# and a copy of 100,000 rows helps nobody. Such a return gets the HTML report alone.
MAX_SHEET_BYTES = 5_000_000


def annotate_workbook(
    workbook: bytes,
    file_name: str,
    issues: Sequence[Issue],
    *,
    max_bytes: int = 20_000_000,
    max_sheet_bytes: int = MAX_SHEET_BYTES,
    subject: FeedbackSubject | None = None,
) -> bytes | None:
    """A copy of `workbook` with offending cells filled and commented and a Feedback sheet.

    Returns None, and never raises, when the file cannot be annotated; the caller then
    sends the HTML report alone. The output keeps the input's format (.xlsx or .xlsm,
    macros carried over but never run).
    """
    suffix = PurePath(file_name.strip()).suffix.lower()
    if suffix not in ANNOTATABLE_SUFFIXES or len(workbook) > max_bytes:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            if unpacked_size(archive) > max_bytes * MAX_UNPACK_RATIO:
                return None
            if unpacked_size(archive, "xl/worksheets/") > max_sheet_bytes:
                return None
            # A package Excel would call corrupt gives a copy no better: HTML alone.
            if structure_problem(archive) is not None:
                return None
            # openpyxl trusts declared sizes; the reader counted them as inflated already,
            # but a workbook marked up here may not have come through the reader.
            if inflated_size(workbook, archive, max_bytes * MAX_UNPACK_RATIO) > (
                max_bytes * MAX_UNPACK_RATIO
            ):
                return None
        marking = decide_marking(issues, subject)
        fast = annotate_xml(workbook, marking)
        if fast is not None:
            return fast
        return annotate_openpyxl(workbook, suffix == ".xlsm", marking)
    except Exception as error:  # openpyxl fails in many ways on odd files; none may escape
        logger.warning("Could not annotate %r: %s: %s", file_name, type(error).__name__, error)
        return None


def can_be_annotated(file_name: str) -> bool:
    """Whether a return's format can be marked up at all (.ods returns get the HTML only)."""
    return PurePath(file_name.strip()).suffix.lower() in ANNOTATABLE_SUFFIXES


AnnotateJob = tuple[bytes, str, Sequence[Issue], FeedbackSubject | None]


def annotate_job(job: AnnotateJob) -> bytes | None:
    """`annotate_workbook` on one (workbook, file name, issues, subject): picklable for a
    pool."""
    workbook, file_name, issues, subject = job
    return annotate_workbook(workbook, file_name, issues, subject=subject)
