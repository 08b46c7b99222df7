"""Every sentence of a return's feedback is true of that return (issue 13, part 4).

A rejected return with warnings, an accepted return with warnings and a clean return, each
through the HTML report and the annotated workbook as `feedback.write_feedback` writes
them, read back as a reporter would (the HTML text, the workbook through openpyxl).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.issues import Issue
from feedback import annotate_workbook, render_html_report, write_feedback
from schemas.rules import SHEET_WORDING
from tests.test_feedback import OUT_OF_RANGE, SHA, _return_workbook, _subject

# The real warning a return gets when more staff are in post than funded.
ABOVE_FUNDED = Issue(
    "warning",
    SHEET_WORDING["in_post_above_funded"]({"funded_wte": 1.0, "in_post_wte": 1.5}, ""),
    "Staffing",
    "Staffing!D15",
    "1.5",
)
# A value with no spaces longer than its column: the only kind that may break mid-word.
LONG_VALUE = Issue(
    "warning",
    SHEET_WORDING["in_post_above_funded"]({"funded_wte": 1.0, "in_post_wte": 2.0}, ""),
    "Staffing",
    "Staffing!E15",
    "x" * 40,
)

LOADED = ("has been loaded", "have been loaded")
NOT_LOADED = ("Nothing from this return has been loaded", "not been loaded")


def _feedback_sheet_text(annotated: bytes | None) -> tuple[Any, str]:
    assert annotated is not None
    book = load_workbook(io.BytesIO(annotated))
    sheet = book.worksheets[0]
    assert sheet.title == "Feedback"
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    return sheet, "\n".join(cells)


def _html_text(html: str) -> str:
    """The page's words as a reader sees them: no style sheet, no tags."""
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _write(tmp_path: Path, status: str, issues: list[Issue]) -> tuple[str, Any, str]:
    written = write_feedback(str(tmp_path), _subject(status), issues, _return_workbook())
    html = Path(written[0]).read_text()
    annotated = Path(written[1]).read_bytes() if len(written) > 1 else None
    sheet, text = _feedback_sheet_text(annotated) if annotated else (None, "")
    return html, sheet, text


def test_a_rejected_return_with_warnings_never_says_it_was_loaded(tmp_path: Path) -> None:
    html, _sheet, text = _write(tmp_path, "rejected", [OUT_OF_RANGE, ABOVE_FUNDED])
    page = _html_text(html)
    assert "Your return was rejected with 1 error." in page
    assert "Nothing from this return has been loaded" in page
    assert "This return was rejected with 1 error." in text
    assert "Nothing from this return has been loaded." in text
    for words in (page, text):
        without = words.replace("Nothing from this return has been loaded", "")
        assert not any(claim in without for claim in LOADED), words
        assert "a warning alone does not stop a return being accepted" in words


def test_an_accepted_return_with_warnings_never_says_nothing_was_loaded(tmp_path: Path) -> None:
    html, _sheet, text = _write(tmp_path, "accepted", [ABOVE_FUNDED, LONG_VALUE])
    page = _html_text(html)
    assert "Your return was accepted with 2 warnings." in page
    assert "This return was accepted with 2 warnings." in text
    assert "Its figures have been loaded." in text
    for words in (page, text):
        assert not any(claim in words for claim in NOT_LOADED), words
        assert "rejected" not in words


def test_a_clean_return_is_accepted_with_no_problems_and_no_copy(tmp_path: Path) -> None:
    written = write_feedback(str(tmp_path), _subject("accepted"), [], _return_workbook())
    assert len(written) == 1  # a clean return needs no marked-up copy, and none is promised
    page = _html_text(Path(written[0]).read_text())
    assert "Your return was accepted with no problems." in page
    assert "annotated" not in page
    assert not any(claim in page for claim in NOT_LOADED)
    _, text = _feedback_sheet_text(
        annotate_workbook(_return_workbook(), "r.xlsx", [], subject=_subject("accepted"))
    )
    assert "This return was accepted with no problems." in text
    assert not any(claim in text for claim in NOT_LOADED)


@pytest.mark.parametrize("status", ["rejected", "accepted"])
def test_the_feedback_sheet_names_the_return_and_prints_one_page_wide(
    tmp_path: Path, status: str
) -> None:
    _, sheet, text = _write(tmp_path, status, [OUT_OF_RANGE, ABOVE_FUNDED, LONG_VALUE])
    for fact in (
        "Reporter: NHS Lothian (S08000024)",
        "File: Lothian Q1 2024-25.xlsx",
        "Received: 3 May 2024 at 14:05 UTC",
        "Period: 2024-25 Q1",
        f"SHA-256: {SHA}",
    ):
        assert fact in text
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.page_setup.orientation == "landscape"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCD"]
    assert sum(widths) <= 120
    merged = {str(r) for r in sheet.merged_cells.ranges}
    header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Severity")
    for number in range(3, header - 1):  # each sentence below the verdict spans it, wrapped
        assert f"A{number}:D{number}" in merged
        assert sheet.cell(row=number, column=1).alignment.wrap_text
    for row in sheet.iter_rows(min_row=header + 1):
        if row[2].value:
            assert row[2].alignment.wrap_text  # values wrap at spaces in their column
        assert row[3].alignment.wrap_text


def test_the_html_report_says_where_the_annotated_copy_is(tmp_path: Path) -> None:
    written = write_feedback(
        str(tmp_path), _subject("rejected"), [OUT_OF_RANGE], _return_workbook()
    )
    copy_name = Path(written[1]).name
    page = _html_text(Path(written[0]).read_text())
    assert f"Beside this report, in the same folder, is {copy_name}" in page
    assert Path(written[1]).parent == Path(written[0]).parent


def test_the_value_found_breaks_mid_word_only_when_a_word_is_too_long() -> None:
    html = render_html_report(_subject("accepted"), [ABOVE_FUNDED, LONG_VALUE])
    assert "word-break: normal" in html
    assert "word-break: break-word" not in html
    assert "td.value.unbroken { overflow-wrap: anywhere; }" in html
    assert '<td class="value">1.5</td>' in html
    assert f'<td class="value unbroken">{"x" * 40}</td>' in html
