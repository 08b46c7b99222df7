"""Feedback reports: what a reporter receives when their return has errors or warnings."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
import xlsxwriter
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment

from domain.cells import CellLocation
from domain.issues import Issue
from feedback import (
    FeedbackSubject,
    annotate_workbook,
    locate,
    ordered_issues,
    render_html_report,
    write_feedback,
)
from feedback.marking import ERROR_FILL_RGB, WARNING_FILL_RGB

SHA = "0123456789abcdef" * 4
RECEIVED = dt.datetime(2024, 5, 3, 14, 5, tzinfo=dt.UTC)
XSS = "<script>alert(1)</script>"


def _subject(status: str = "rejected", **changes: Any) -> FeedbackSubject:
    fields: dict[str, Any] = {
        "reporter_code": "S08000024",
        "reporter_name": "NHS Lothian",
        "file_name": "Lothian Q1 2024-25.xlsx",
        "sha256": SHA,
        "received_at": RECEIVED,
        "status": status,
        "template": "BQR",
        "financial_year": "2024-25",
        "quarter": "Q1",
    }
    fields.update(changes)
    return FeedbackSubject(**fields)


def _return_workbook(staffing_title: str = "Staffing") -> bytes:
    """A small board return, as a reporter might send it."""
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    for row, (label, value) in enumerate(
        [
            ("Template", "PIMH Board Quarterly Return"),
            ("Template version", 1),
            ("Board", "NHS Lothian"),
            ("Financial year", "2024-25"),
            ("Quarter", "Q1"),
            ("Completed by", "A. Person"),
            ("Email", "a.person@example.org"),
        ],
        start=1,
    ):
        cover.cell(row=row, column=1, value=label)
        cover.cell(row=row, column=2, value=value)
    staffing = book.create_sheet(staffing_title)
    staffing.append(["Staffing return", None, None, None, None])
    for _ in range(11):
        staffing.append([])
    staffing.append(["Service", "Staff group", "Funded WTE", "In post WTE", "Vacant WTE"])
    staffing.append(["CPMHT", "Psychiatry", 2, 250, None])  # row 14: D14 is out of range
    staffing.append(["CPMHT", "Psychology", 1, 1.5, None])  # row 15: E15 would be checked
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _reload(annotated: bytes | None) -> Any:
    assert annotated is not None, "the workbook should have been annotated"
    return load_workbook(io.BytesIO(annotated))


def _fill(cell: Any) -> str | None:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None


def _marked_cells(book: Any) -> set[str]:
    """Every `Sheet!A1` in the reporter's sheets that carries a fill or a comment."""
    marked = set()
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows():
            for cell in row:
                if _fill(cell) is not None or cell.comment is not None:
                    marked.add(f"{sheet.title}!{cell.coordinate}")
    return marked


OUT_OF_RANGE = Issue(
    "error", "In post WTE must be between 0 and 200.", "Staffing", "Staffing!D14", "250"
)
ABOVE_FUNDED = Issue(
    "warning", "In post WTE is above Funded WTE.", "Staffing", "Staffing!D14", "250"
)
VACANT_EMPTY = Issue(
    "warning", "Vacant WTE was left empty; it will be derived.", "Staffing", "Staffing!E15"
)


class TestAnnotatedWorkbook:
    def test_it_highlights_the_offending_cell_in_red_and_comments_it(self) -> None:
        book = _reload(annotate_workbook(_return_workbook(), "return.xlsx", [OUT_OF_RANGE]))
        cell = book["Staffing"]["D14"]
        assert _fill(cell) == ERROR_FILL_RGB
        assert cell.comment.author == "PIMH data team"
        assert OUT_OF_RANGE.message in cell.comment.text
        assert cell.value == 250, "the reporter's figure is left as it was"

    def test_it_marks_exactly_the_cells_with_problems_and_nothing_else(self) -> None:
        issues = [OUT_OF_RANGE, VACANT_EMPTY, Issue("error", "Whole file problem")]
        book = _reload(annotate_workbook(_return_workbook(), "return.xlsx", issues))
        assert _marked_cells(book) == {"Staffing!D14", "Staffing!E15"}
        assert _fill(book["Staffing"]["E15"]) == WARNING_FILL_RGB

    def test_an_error_wins_over_a_warning_on_the_same_cell_and_both_are_commented(self) -> None:
        issues = [ABOVE_FUNDED, OUT_OF_RANGE]
        cell = _reload(annotate_workbook(_return_workbook(), "r.xlsx", issues))["Staffing"]["D14"]
        assert _fill(cell) == ERROR_FILL_RGB
        text = cell.comment.text
        assert text.index(OUT_OF_RANGE.message) < text.index(ABOVE_FUNDED.message)

    def test_it_adds_a_first_feedback_sheet_linking_each_problem_to_its_cell(self) -> None:
        issues = [VACANT_EMPTY, OUT_OF_RANGE, Issue("error", "Unknown template version.")]
        book = _reload(annotate_workbook(_return_workbook(), "return.xlsx", issues))
        assert book.sheetnames == ["Feedback", "Cover", "Staffing"]
        assert book.active.title == "Feedback"
        rows = [
            row
            for row in book["Feedback"].iter_rows(min_row=6)
            if row[0].value in {"Error", "Warning"}
        ]
        assert [(r[0].value, r[1].value, r[3].value) for r in rows] == [
            ("Error", "Whole file", "Unknown template version."),
            ("Error", "Staffing!D14", OUT_OF_RANGE.message),
            ("Warning", "Staffing!E15", VACANT_EMPTY.message),
        ]
        assert rows[0][1].hyperlink is None
        assert rows[1][1].hyperlink.location == "'Staffing'!D14"
        assert rows[1][2].value == "250"

    def test_it_matches_sheet_names_ignoring_case_and_surrounding_spaces(self) -> None:
        workbook = _return_workbook(staffing_title=" staffing ")
        issues = [OUT_OF_RANGE, Issue("warning", "Check the totals.", "STAFFING", "STAFFING")]
        book = _reload(annotate_workbook(workbook, "return.xlsx", issues))
        assert _marked_cells(book) == {" staffing !D14"}
        links = [row[1].hyperlink for row in book["Feedback"].iter_rows(min_row=6)]
        assert {link.location for link in links if link} == {
            "' staffing '!D14",
            "' staffing '!A1",
        }

    def test_a_problem_on_a_sheet_the_workbook_lacks_is_listed_without_a_link(self) -> None:
        missing = Issue("error", "The Finance sheet is missing.", "Finance", "Finance")
        book = _reload(annotate_workbook(_return_workbook(), "return.xlsx", [missing]))
        row = next(book["Feedback"].iter_rows(min_row=6))
        assert (row[1].value, row[1].hyperlink) == ("Finance", None)

    def test_a_cell_inside_a_merged_block_is_marked_on_its_top_left_cell(self) -> None:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Finance"
        sheet["B2"] = "merged"
        sheet.merge_cells("B2:C3")
        output = io.BytesIO()
        book.save(output)
        issue = Issue("error", "Not a number.", "Finance", "Finance!C3", "merged")
        annotated = _reload(annotate_workbook(output.getvalue(), "f.xlsx", [issue]))
        assert _fill(annotated["Finance"]["B2"]) == ERROR_FILL_RGB
        assert "Not a number." in annotated["Finance"]["B2"].comment.text

    def test_the_reporters_own_comment_on_a_cell_is_kept_under_ours(self) -> None:
        book = load_workbook(io.BytesIO(_return_workbook()))
        book["Staffing"]["D14"].comment = Comment("Includes bank staff.", "Board analyst")
        output = io.BytesIO()
        book.save(output)
        annotated = _reload(annotate_workbook(output.getvalue(), "r.xlsx", [OUT_OF_RANGE]))
        text = annotated["Staffing"]["D14"].comment.text
        assert text.index(OUT_OF_RANGE.message) < text.index("Includes bank staff.")

    def test_reporter_text_is_written_as_text_never_as_a_formula(self) -> None:
        hostile = Issue("error", "=1+1", "Staffing", "Staffing!D14", '=HYPERLINK("x")\x07')
        annotated = annotate_workbook(_return_workbook(), "return.xlsx", [hostile])
        row = next(_reload(annotated)["Feedback"].iter_rows(min_row=6))
        assert (row[2].value, row[2].data_type) == ('=HYPERLINK("x")', "s")
        assert (row[3].value, row[3].data_type) == ("=1+1", "s")

    def test_a_macro_workbook_keeps_its_macros(self, tmp_path: Path) -> None:
        vba = tmp_path / "vbaProject.bin"
        vba.write_bytes(b"not really VBA, but carried over byte for byte")
        path = tmp_path / "return.xlsm"
        book = xlsxwriter.Workbook(str(path))
        book.add_worksheet("Staffing").write("D14", 250)
        book.add_vba_project(str(vba))
        book.close()
        annotated = annotate_workbook(path.read_bytes(), "return.xlsm", [OUT_OF_RANGE])
        assert annotated is not None
        with zipfile.ZipFile(io.BytesIO(annotated)) as archive:
            assert archive.read("xl/vbaProject.bin") == vba.read_bytes()
            assert b"macroEnabled" in archive.read("[Content_Types].xml")
        assert _fill(_reload(annotated)["Staffing"]["D14"]) == ERROR_FILL_RGB

    @pytest.mark.parametrize(
        ("content", "file_name"),
        [
            pytest.param(_return_workbook(), "return.ods", id="an .ods file"),
            pytest.param(b"garbage, not a workbook", "return.xlsx", id="garbage bytes"),
            pytest.param(b"", "return.xlsx", id="an empty file"),
            pytest.param(
                # Password-protected workbooks are OLE compound files, not zips.
                bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,
                "return.xlsx",
                id="a password-protected workbook",
            ),
            pytest.param(_return_workbook()[:-200], "return.xlsx", id="a truncated workbook"),
        ],
    )
    def test_it_gives_up_quietly_on_files_it_cannot_annotate(
        self, content: bytes, file_name: str
    ) -> None:
        assert annotate_workbook(content, file_name, [OUT_OF_RANGE]) is None

    def test_it_gives_up_on_a_zip_that_is_not_a_workbook(self) -> None:
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as archive:
            archive.writestr("hello.txt", "hello")
        assert annotate_workbook(output.getvalue(), "return.xlsx", [OUT_OF_RANGE]) is None

    def test_it_does_not_attempt_files_above_the_size_limit(self) -> None:
        workbook = _return_workbook()
        assert annotate_workbook(workbook, "r.xlsx", [OUT_OF_RANGE], max_bytes=1000) is None
        assert annotate_workbook(workbook, "r.xlsx", [OUT_OF_RANGE], max_bytes=10**6)

    def test_it_does_not_unpack_a_zip_bomb(self) -> None:
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)
        bomb = output.getvalue()
        assert len(bomb) < 100_000
        assert annotate_workbook(bomb, "r.xlsx", [OUT_OF_RANGE], max_bytes=100_000) is None


class TestWhereProblemsAre:
    @pytest.mark.parametrize(
        ("cell", "expected"),
        [
            ("Staffing!D14", CellLocation("Staffing", 14, 4)),
            ("'Staff, 2024''s'!$AA$7", CellLocation("Staff, 2024's", 7, 27)),
            ("Activity!C7:C9", CellLocation("Activity", 7, 3)),
            ("Staffing", CellLocation("Staffing")),
            ("Staffing!D0", CellLocation("Staffing")),
            ("Staffing!ZZZZ1", CellLocation("Staffing")),
            (None, CellLocation()),
        ],
    )
    def test_it_reads_excel_references_and_keeps_what_it_cannot_parse_as_sheet_level(
        self, cell: str | None, expected: CellLocation
    ) -> None:
        assert locate(Issue("error", "x", cell=cell)) == expected

    def test_problems_are_ordered_file_first_then_by_sheet_row_and_column_naturally(
        self,
    ) -> None:
        cells = ["Staffing!D10", "Staffing!AA9", "Activity!B3", "Staffing!D9", None, "Staffing"]
        ordered = ordered_issues(Issue("error", "x", cell=cell) for cell in cells)
        assert [issue.cell for issue in ordered] == [
            None,
            "Activity!B3",
            "Staffing",
            "Staffing!D9",
            "Staffing!AA9",
            "Staffing!D10",
        ]


class TestHtmlReport:
    def test_it_lists_every_problem_with_cell_value_and_message_in_workbook_order(self) -> None:
        issues = [
            Issue("error", "Funded WTE must be a number.", "Staffing", "Staffing!D10", "lots"),
            Issue("warning", "Forecast is 20% above allocation.", "Finance", "Finance!D9", "1200"),
            Issue("error", "Funded WTE must be 0 to 200.", "Staffing", "Staffing!D9", "250"),
            Issue("error", "The file's template version is unknown."),
        ]
        html = render_html_report(_subject(), issues)
        table = html[html.index('id="problems"') :]
        expected_order = [
            "The file&#39;s template version is unknown.",
            "Finance!D9",
            "1200",
            "Forecast is 20% above allocation.",
            "Staffing!D9",
            "250",
            "Staffing!D10",
            "lots",
        ]
        positions = [table.index(text) for text in expected_order]
        assert positions == sorted(positions)
        for heading in ("Severity", "Where", "Value found", "What is wrong"):
            assert f">{heading}</th>" in table

    def test_it_escapes_markup_in_values_messages_and_file_names(self) -> None:
        issue = Issue("error", f"Bad {XSS}", "Cover", "Cover!B3", XSS)
        html = render_html_report(_subject(file_name=f"{XSS}.xlsx"), [issue])
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_a_rejected_return_says_nothing_was_loaded_and_to_send_it_all_again(self) -> None:
        html = render_html_report(_subject("rejected"), [OUT_OF_RANGE, ABOVE_FUNDED])
        assert "Your return was rejected with 1 error." in html
        assert (
            "Nothing from this return has been loaded; please correct the problems below and "
            "send the whole return again."
        ) in html
        assert "also 1 warning to check" in html

    def test_an_accepted_return_counts_its_warnings(self) -> None:
        html = render_html_report(_subject("accepted"), [ABOVE_FUNDED, VACANT_EMPTY])
        assert "Your return was accepted with 2 warnings." in html
        assert "Nothing from this return has been loaded" not in html

    def test_an_accepted_return_without_problems_says_so(self) -> None:
        html = render_html_report(_subject("accepted"), [])
        assert "Your return was accepted with no problems." in html
        assert 'id="problems"' not in html

    def test_it_states_the_file_its_fingerprint_time_period_and_reporter(self) -> None:
        html = render_html_report(_subject(reporter_name=None), [OUT_OF_RANGE])
        for fact in (
            "Lothian Q1 2024-25.xlsx",
            SHA,
            "3 May 2024 at 14:05 UTC",
            "2024-25 Q1",
            "Lothian (S08000024)",
        ):
            assert fact in html

    def test_it_is_self_contained_and_never_shows_personal_details(self) -> None:
        html = render_html_report(_subject(), [OUT_OF_RANGE])
        assert "<style>" in html
        assert not re.search(r"<script|<link|src=|https?://|@import", html)
        assert "Completed by" not in html
        assert "Email" not in html

    def test_a_subject_refuses_an_unknown_status_or_a_malformed_hash(self) -> None:
        with pytest.raises(ValueError, match="status"):
            _subject("duplicate")
        with pytest.raises(ValueError, match="sha256"):
            _subject(sha256="../../etc")


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A private folder in fsspec's process-wide memory filesystem, removed afterwards."""
    url = f"memory://feedback-{uuid.uuid4().hex}"
    yield url
    fs, root = fsspec.core.url_to_fs(url)
    if fs.exists(root):
        fs.rm(root, recursive=True)


class TestWriteFeedback:
    @pytest.mark.parametrize("as_url", [False, True], ids=["a local folder", "a file:// URL"])
    def test_it_writes_the_report_and_annotated_copy_in_the_reporters_folder(
        self, tmp_path: Path, as_url: bool
    ) -> None:
        root = tmp_path / "feedback"
        url = root.as_uri() if as_url else str(root)
        written = write_feedback(url, _subject(), [OUT_OF_RANGE], _return_workbook())
        folder = root / "S08000024"
        stem = "Lothian_Q1_2024-25-0123456789ab"
        assert sorted(p.name for p in folder.iterdir()) == [
            f"{stem}-annotated.xlsx",
            f"{stem}.html",
        ]
        assert written == [f"{url}/S08000024/{stem}.html", f"{url}/S08000024/{stem}-annotated.xlsx"]
        assert OUT_OF_RANGE.message in (folder / f"{stem}.html").read_text(encoding="utf-8")
        annotated = _reload((folder / f"{stem}-annotated.xlsx").read_bytes())
        assert _fill(annotated["Staffing"]["D14"]) == ERROR_FILL_RGB

    def test_writing_twice_rewrites_the_same_files(self, tmp_path: Path) -> None:
        first = write_feedback(str(tmp_path), _subject(), [OUT_OF_RANGE], _return_workbook())
        second = write_feedback(str(tmp_path), _subject(), [OUT_OF_RANGE], _return_workbook())
        assert first == second
        assert len(list((tmp_path / "S08000024").iterdir())) == 2

    def test_it_works_on_a_memory_url(self, memory_url: str) -> None:
        written = write_feedback(memory_url, _subject(), [OUT_OF_RANGE], _return_workbook())
        assert all(path.startswith(f"{memory_url}/S08000024/") for path in written)
        with fsspec.open(written[0], "rb") as report:
            assert OUT_OF_RANGE.message.encode() in report.read()
        with fsspec.open(written[1], "rb") as workbook:
            assert _fill(_reload(workbook.read())["Staffing"]["D14"]) == ERROR_FILL_RGB

    def test_an_unidentified_reporter_and_a_hostile_file_name_stay_in_unassigned(
        self, tmp_path: Path
    ) -> None:
        subject = _subject(reporter_code=None, file_name="..\\../etc/pass wd.xlsx")
        written = write_feedback(str(tmp_path), subject, [OUT_OF_RANGE], _return_workbook())
        assert [Path(path).parent for path in written] == [tmp_path / "_unassigned"] * 2
        assert Path(written[0]).name == "pass_wd-0123456789ab.html"

    def test_only_the_html_is_written_when_the_workbook_cannot_be_annotated(
        self, tmp_path: Path
    ) -> None:
        subject = _subject(file_name="return.ods")
        written = write_feedback(str(tmp_path), subject, [OUT_OF_RANGE], b"PK not really")
        assert [Path(path).name for path in written] == ["return-0123456789ab.html"]

    def test_a_macro_workbook_comes_back_as_xlsm(self, tmp_path: Path) -> None:
        subject = _subject(file_name="return.xlsm")
        written = write_feedback(str(tmp_path), subject, [OUT_OF_RANGE], _return_workbook())
        assert written[-1].endswith("return-0123456789ab-annotated.xlsm")


def test_it_does_not_annotate_a_workbook_whose_sheets_are_enormous(tmp_path: Path) -> None:
    """It skips the annotated copy (HTML only) when the sheets would cost too much memory."""
    path = tmp_path / "big.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Staffing")
    for row in range(2000):
        sheet.write_row(row, 0, ["CPMHT", "Psychiatry", 1.0, 1.0])
    workbook.close()
    issue = Issue("error", "Duplicate row.", "Staffing", "Staffing!A5")

    assert annotate_workbook(path.read_bytes(), "big.xlsx", [issue], max_sheet_bytes=10_000) is None
    assert annotate_workbook(path.read_bytes(), "big.xlsx", [issue]) is not None
