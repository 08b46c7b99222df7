"""The fast annotated copy (editing the workbook's XML) shows exactly what openpyxl's does.

`feedback.annotate` marks a workbook by editing its XML parts directly and falls back to
openpyxl for unusual workbooks. Whatever writer made a copy, a reporter must see the same
thing: the same sheets in the same order, the Feedback sheet first and active, the same
cells filled and commented, the same tab colours and the same links. These tests read
both copies back with openpyxl and compare them, over workbooks written by Excel-like
tools (openpyxl, xlsxwriter, the pimh templates) and over every kind of problem.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment

from domain.issues import Issue
from feedback.annotate import annotate_workbook
from feedback.annotate_openpyxl import annotate_openpyxl
from feedback.annotate_xml import annotate_xml
from feedback.marking import decide_marking
from return_templates import write_blank_bqr
from samples.board_returns import Quirks, realistic_board_return
from tests.builders import write


def _saved(book: Workbook) -> bytes:
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _openpyxl_return() -> bytes:
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    cover["A1"], cover["B1"] = "Template", "PIMH Board Quarterly Return"
    staffing = book.create_sheet("Staffing")
    staffing.append(["Service", "Staff group", "Funded WTE", "In post WTE", "Vacant WTE"])
    staffing.append(["CPMHT", "Psychiatry", 2, 250, None])
    staffing.append(["CPMHT", "Psychology", 1, 1.5, None])
    staffing["B10"] = "merged"
    staffing.merge_cells("B10:C11")
    staffing.sheet_properties.tabColor = "FF00B050"
    book.create_sheet("Finance")
    return _saved(book)


def _xlsxwriter_return(tmp_path: Path) -> bytes:
    content = realistic_board_return("S08000024", "2022-23", "Q1", random.Random(3))
    quirks = Quirks(title_rows=2, start_column=1, total_row=True)
    return write(tmp_path / "quirky.xlsx", content, quirks).read_bytes()


def _template_return(tmp_path: Path) -> bytes:
    path = tmp_path / "template.xlsx"
    write_blank_bqr(path, "S08000024", "2022-23", "Q1")
    return path.read_bytes()


ISSUE_SETS: dict[str, list[Issue]] = {
    "one error": [
        Issue("error", "In post WTE must be between 0 and 200.", "Staffing", "Staffing!D2", "250")
    ],
    "error and warning on one cell, a blank cell, a file problem": [
        Issue("warning", "In post WTE is above Funded WTE.", "Staffing", "Staffing!D2", "250"),
        Issue("error", "In post WTE must be between 0 and 200.", "Staffing", "Staffing!D2", "250"),
        Issue("warning", "Vacant WTE was left empty.", "Staffing", "Staffing!E3"),
        Issue("error", "Unknown template version."),
    ],
    "a merged block, a missing sheet, a sheet-level warning": [
        Issue("error", "Not a number.", "Staffing", "Staffing!C11", "merged"),
        Issue("warning", "Check the totals.", "Finance", "Finance"),
        Issue("error", "No Activity sheet.", "Activity", "Activity"),
    ],
    "cells far outside the table, hostile text": [
        Issue("error", "=1+1 <b>&</b>", "Staffing", "Staffing!AB700", '=HYPERLINK("x")\x07'),
        Issue("warning", "Quote ' and \" marks.", "staffing", "'Staffing'!A1"),
    ],
}


def _view(data: bytes) -> dict[str, Any]:
    """Everything a reporter sees of an annotated copy, as plain values."""
    book = load_workbook(io.BytesIO(data))
    sheets = {}
    for sheet in book.worksheets:
        marked = {}
        for row in sheet.iter_rows():
            for cell in row:
                fill = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
                comment = cell.comment.text if cell.comment else None
                link = cell.hyperlink.location if cell.hyperlink else None
                if fill or comment or link or (sheet.title.startswith("Feedback") and cell.value):
                    marked[cell.coordinate] = (cell.value, fill, comment, link)
        tab = sheet.sheet_properties.tabColor
        sheets[sheet.title] = (marked, tab.rgb if tab is not None else None)
    return {"order": book.sheetnames, "active": book.active.title, "sheets": sheets}


@pytest.mark.parametrize("issues", ISSUE_SETS.values(), ids=ISSUE_SETS.keys())
@pytest.mark.parametrize("source", ["openpyxl", "xlsxwriter", "template"])
def test_both_writers_show_the_reporter_the_same_thing(
    tmp_path: Path, source: str, issues: list[Issue]
) -> None:
    makers: dict[str, Callable[[], bytes]] = {
        "openpyxl": _openpyxl_return,
        "xlsxwriter": lambda: _xlsxwriter_return(tmp_path),
        "template": lambda: _template_return(tmp_path),
    }
    workbook = makers[source]()

    fast = annotate_xml(workbook, decide_marking(issues))
    general = annotate_openpyxl(workbook, False, decide_marking(issues))

    assert fast is not None, "an ordinary workbook takes the fast path"
    assert _view(fast) == _view(general)
    assert _view(fast)["order"][0] == "Feedback"


def test_the_fast_copy_keeps_every_part_it_does_not_need_to_touch(tmp_path: Path) -> None:
    """Data validations (the template's dropdowns) and the untouched sheets survive."""
    workbook = _template_return(tmp_path)
    issue = Issue("error", "Not a number.", "Finance", "Finance!B5", "x")

    fast = annotate_xml(workbook, decide_marking([issue]))

    assert fast is not None
    original, annotated = load_workbook(io.BytesIO(workbook)), load_workbook(io.BytesIO(fast))
    for name in original.sheetnames:
        before = [v.sqref for v in original[name].data_validations.dataValidation]
        after = [v.sqref for v in annotated[name].data_validations.dataValidation]
        assert [str(s) for s in after] == [str(s) for s in before], name


def test_a_sheet_with_comments_of_its_own_goes_to_openpyxl() -> None:
    """A marked sheet that already has comments is left to openpyxl, which keeps the
    reporter's comment under ours."""
    book = load_workbook(io.BytesIO(_openpyxl_return()))
    book["Staffing"]["D2"].comment = Comment("Includes bank staff.", "Board analyst")
    workbook = _saved(book)
    issue = ISSUE_SETS["one error"][0]

    assert annotate_xml(workbook, decide_marking([issue])) is None
    annotated = annotate_workbook(workbook, "r.xlsx", [issue])
    assert annotated is not None
    text = load_workbook(io.BytesIO(annotated))["Staffing"]["D2"].comment.text
    assert text.index(issue.message) < text.index("Includes bank staff.")


def test_the_fast_copy_shows_every_line_end_as_a_line_feed() -> None:
    """Carriage returns in a message or value read back as line feeds, as they always did
    when the copy's XML was written as text."""
    issue = Issue("error", "two\r\nlines\rhere", "Staffing", "Staffing!D2", "a\r\nb")

    fast = annotate_xml(_openpyxl_return(), decide_marking([issue]))

    assert fast is not None
    book = load_workbook(io.BytesIO(fast))
    assert book["Staffing"]["D2"].comment.text.endswith("Error: two\nlines\nhere")
    assert [book["Feedback"][cell].value for cell in ("C6", "D6")] == ["a\nb", "two\nlines\nhere"]
