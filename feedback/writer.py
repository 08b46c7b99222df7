"""Puts a return's feedback where its reporter will find it, on any fsspec location.

Reports go to `<feedback_url>/<reporter code>/`, one folder per reporter, mirroring the
landing area, so each board or charity can be given access to its own folder only. Names
carry the first 12 hex digits of the file's SHA-256: re-processing the same bytes rewrites
the same files instead of piling up copies, and two different files of the same name
never overwrite each other's feedback.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Final

import fsspec

from domain.issues import Issue
from feedback.annotate import annotate_workbook, can_be_annotated
from feedback.html_report import render_html_report
from feedback.subject import FeedbackSubject

UNASSIGNED: Final = "_unassigned"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+", re.ASCII)
_MAX_STEM_CHARS: Final = 80


def write_feedback(
    feedback_url: str,
    subject: FeedbackSubject,
    issues: Sequence[Issue],
    workbook: bytes,
    *,
    max_annotate_bytes: int = 20_000_000,
) -> list[str]:
    """Write the HTML report and, when the workbook can be marked up, an annotated copy.

    Returns what was written, as locations in the same form as `feedback_url` (a local
    path stays a path, `memory://` or `s3://` stay URLs). Folders are created as needed.
    """
    annotated = None
    if issues:  # a clean return needs no marked-up copy
        annotated = annotate_workbook(
            workbook, subject.file_name, issues, max_bytes=max_annotate_bytes, subject=subject
        )
    return write_feedback_files(feedback_url, subject, issues, annotated)


def write_feedback_files(
    feedback_url: str,
    subject: FeedbackSubject,
    issues: Sequence[Issue],
    annotated: bytes | None,
) -> list[str]:
    """Write the HTML report and an annotated copy made beforehand (None: HTML alone)."""
    written = [write_html_report(feedback_url, subject, issues)]
    copy = write_annotated_copy(feedback_url, subject, annotated)
    return written + ([copy] if copy else [])


def write_html_report(feedback_url: str, subject: FeedbackSubject, issues: Sequence[Issue]) -> str:
    """The HTML report, written where the reporter will find it; returns its location."""
    page = render_html_report(subject, issues, annotated_copy=annotated_copy_name(subject, issues))
    return _write(feedback_url, subject, ".html", page.encode())


def annotated_copy_name(subject: FeedbackSubject, issues: Sequence[Issue]) -> str | None:
    """The name the annotated copy is given beside the report, when one is attempted (a
    return with problems, in a format that can be marked up); None otherwise."""
    if not issues or not can_be_annotated(subject.file_name):
        return None
    return _name(subject, _annotated_ending(subject))


def _annotated_ending(subject: FeedbackSubject) -> str:
    return f"-annotated{PurePosixPath(subject.file_name.strip()).suffix.lower()}"


def report_root(report_url: str) -> str:
    """The feedback root an HTML report was written under (its folder's parent)."""
    return posixpath.dirname(posixpath.dirname(report_url))


def write_annotated_copy(
    feedback_url: str, subject: FeedbackSubject, annotated: bytes | None
) -> str | None:
    """The marked-up workbook beside the HTML report (nothing when there is none).

    Annotating is the slow part of feedback; a batch makes its copies in parallel, while
    the warehouse loads, and writes them here.
    """
    if annotated is None:
        return None
    return _write(feedback_url, subject, _annotated_ending(subject), annotated)


def _write(feedback_url: str, subject: FeedbackSubject, ending: str, content: bytes) -> str:
    fs, root = fsspec.core.url_to_fs(feedback_url)
    folder = _safe(subject.reporter_code or "") or UNASSIGNED
    name = _name(subject, ending)
    fs.makedirs(_join(root, folder), exist_ok=True)
    fs.pipe_file(_join(root, folder, name), content)
    return _join(feedback_url, folder, name)


def _name(subject: FeedbackSubject, ending: str) -> str:
    return f"{report_stem(subject.file_name)}-{subject.sha256[:12].lower()}{ending}"


def report_stem(file_name: str) -> str:
    """The received file's name without folder or extension, safe as a path component.

    Reporters name files freely (spaces, slashes, accents); only a conservative ASCII
    set survives, so the same name works on local disks, SMB shares and object stores.
    """
    name = PureWindowsPath(file_name.strip()).name  # splits on both "/" and "\\"
    stem = _safe(PurePosixPath(name).stem)[:_MAX_STEM_CHARS]
    return stem or "return"


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._")


def _join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])
