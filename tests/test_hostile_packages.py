"""Workbooks whose zip or package structure lies, as a fuzzer or an attacker makes them.

Before, a 1.46 MB workbook whose header claimed a 2 KB sheet that inflated to 1.5 GB was
accepted (its reader worker reached 1.57 GB), and a workbook with no `[Content_Types].xml`
(Excel calls it corrupt) was accepted and its annotated copy was no valid package either.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import ooxml
from connectors.ooxml import member_bytes
from connectors.workbook import extract_workbook
from schemas.validate_batch import RETURN_LAYOUTS
from tests.builders import valid_return, write

MAX_BYTES = 20_000_000
CAP = 5_000_000


def _workbook(tmp_path: Path) -> bytes:
    return write(tmp_path / "return.xlsx", valid_return()).read_bytes()


def _rezipped(data: bytes, *, drop: str = "", add: dict[str, bytes] | None = None) -> bytes:
    source, output = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != drop:
                target.writestr(info, source.read(info))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return output.getvalue()


def _claiming(data: bytes, member: str, claimed: int) -> bytes:
    """The zip with `member`'s uncompressed size rewritten to `claimed` in both headers."""
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    struct.pack_into("<I", patched, info.header_offset + 22, claimed)  # local header
    end_record = data.rfind(b"PK\x05\x06")
    position = struct.unpack_from("<I", data, end_record + 16)[0]
    while data[position : position + 4] == b"PK\x01\x02":  # the central directory
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46 : position + 46 + name_length] == member.encode():
            struct.pack_into("<I", patched, position + 24, claimed)
        position += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def _problem(data: bytes, cap: int = 200_000_000) -> str:
    content = extract_workbook(data, RETURN_LAYOUTS, MAX_BYTES, cap)
    assert not content.readable
    [issue] = content.issues
    assert (issue.severity, issue.cell) == ("error", None)
    return issue.message


def test_a_member_that_inflates_past_what_it_claims_is_refused(tmp_path: Path) -> None:
    """Counted as inflated, not as claimed: 20 MB behind a 2 KB claim, against a 5 MB cap."""
    honest = _rezipped(_workbook(tmp_path), add={"xl/media/image1.bin": b"\0" * 20_000_000})
    lying = _claiming(honest, "xl/media/image1.bin", 2048)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/media/image1.bin").file_size == 2048

    message = _problem(lying, CAP)

    assert "expands to more than 5.0 MB when opened" in message
    assert "though it claims less" in message


def test_an_honest_workbook_is_read_as_before(tmp_path: Path) -> None:
    content = extract_workbook(_workbook(tmp_path), RETURN_LAYOUTS, MAX_BYTES, CAP)

    assert content.readable
    assert content.issues == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"drop": "[Content_Types].xml"}, "it has no [Content_Types].xml part"),
        ({"drop": "_rels/.rels"}, "it has no package relationships (_rels/.rels)"),
        (
            {"drop": "_rels/.rels", "add": {"_rels/.rels": b"<not xml"}},
            "not well-formed XML",
        ),
    ],
)
def test_a_package_without_the_structure_excel_needs_is_refused(
    tmp_path: Path, change: dict[str, object], words: str
) -> None:
    message = _problem(_rezipped(_workbook(tmp_path), **change))  # type: ignore[arg-type]

    assert message.startswith("The workbook is damaged: ")
    assert words in message
    assert "Excel itself would not open it" in message


def test_a_package_read_after_a_sound_one_with_the_same_parts_is_judged_on_its_own(
    tmp_path: Path,
) -> None:
    """The package parts every copy of the template shares are parsed once per process;
    what is judged per file (is the main part there?) is still judged every time, and a
    file with other parts is parsed anew, in either order."""
    sound = _workbook(tmp_path)
    types = zipfile.ZipFile(io.BytesIO(sound)).read("[Content_Types].xml")
    not_a_workbook = types.replace(b"sheet.main+xml", b"chart+xml")
    assert not_a_workbook != types
    retyped = _rezipped(
        sound, drop="[Content_Types].xml", add={"[Content_Types].xml": not_a_workbook}
    )

    rels = zipfile.ZipFile(io.BytesIO(sound)).read("_rels/.rels")
    elsewhere = rels.replace(b'Target="xl/workbook.xml"', b'Target="xl/book.xml"')
    assert elsewhere != rels
    pointing_elsewhere = _rezipped(sound, drop="_rels/.rels", add={"_rels/.rels": elsewhere})

    for _ in range(2):
        assert extract_workbook(sound, RETURN_LAYOUTS, MAX_BYTES, CAP).issues == []
        assert "its main part xl/book.xml is missing" in _problem(pointing_elsewhere)
        assert "is not declared as a workbook" in _problem(retyped)


def test_a_workbook_compressed_as_excel_never_does_is_refused(tmp_path: Path) -> None:
    source, output = zipfile.ZipFile(io.BytesIO(_workbook(tmp_path))), io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_BZIP2) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))

    assert "compressed in a way Excel does not use" in _problem(output.getvalue())


def test_a_damaged_package_gets_no_annotated_copy(tmp_path: Path) -> None:
    """Its reporter gets the HTML report alone: a marked-up copy would not open either."""
    from domain.issues import file_problem
    from feedback.annotate import annotate_workbook

    damaged = _rezipped(_workbook(tmp_path), drop="[Content_Types].xml")

    assert annotate_workbook(damaged, "return.xlsx", [file_problem("damaged")]) is None
    assert annotate_workbook(_workbook(tmp_path), "return.xlsx", [file_problem("x")]) is not None


@settings(max_examples=60, deadline=None)
@given(
    members=st.dictionaries(
        st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8})?\.xml", fullmatch=True),
        st.binary(max_size=3000),
        min_size=1,
        max_size=4,
    ),
    method=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
)
def test_a_member_read_from_the_zip_bytes_is_what_zipfile_reads(
    members: dict[str, bytes], method: int
) -> None:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", method) as target:
        for name, content in members.items():
            target.writestr(name, content)
    data = output.getvalue()
    archive = zipfile.ZipFile(io.BytesIO(data))

    for info in archive.infolist():
        assert member_bytes(data, info) == archive.read(info) == members[info.filename]


def test_a_member_whose_bytes_do_not_match_their_crc_is_damaged(tmp_path: Path) -> None:
    """As ZipFile.read says of it: a flipped byte in a stored part is not read past."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as target:
        target.writestr("[Content_Types].xml", b"<Types/>")
    data = bytearray(output.getvalue())
    data[data.index(b"<Types/>") + 1] ^= 0x20
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("[Content_Types].xml")

    with pytest.raises(zipfile.BadZipFile):
        archive.read(info)
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        member_bytes(bytes(data), info)


def _two_members(first: bytes, second: bytes) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("a.xml", first)
        target.writestr("b.xml", second)
    return output.getvalue()


def test_a_directory_entry_pointing_at_another_members_header_is_damaged() -> None:
    """The central directory says b.xml is where a.xml's local header is: ZipFile.read
    refuses it, and so does the direct read (it does not hand back a.xml's bytes)."""
    data = _two_members(b"<first/>", b"<second/>")
    archive = zipfile.ZipFile(io.BytesIO(data))
    moved = archive.getinfo("b.xml")
    moved.header_offset = archive.getinfo("a.xml").header_offset

    with pytest.raises(zipfile.BadZipFile):
        archive.read(moved)
    with pytest.raises(zipfile.BadZipFile, match="names another member"):
        member_bytes(data, moved)


def test_a_member_holding_more_than_it_declares_is_not_inflated_past_its_claim() -> None:
    """2 MB of XML behind a claim of 2 KB: refused after inflating at most the claim."""
    data = _two_members(b"<a>" + b" " * 2_000_000 + b"</a>", b"<b/>")
    claimed = _claiming(data, "a.xml", 2048)
    info = zipfile.ZipFile(io.BytesIO(claimed)).getinfo("a.xml")
    assert info.file_size == 2048

    with pytest.raises(zipfile.BadZipFile):
        member_bytes(claimed, info)


def test_only_parts_of_ordinary_size_are_remembered_by_a_reader(tmp_path: Path) -> None:
    """A reader process lives for many runs: a package whose two parts are large is
    judged as any other, but what it sent is not kept."""
    sound = _workbook(tmp_path)
    types = zipfile.ZipFile(io.BytesIO(sound)).read("[Content_Types].xml")
    padded = types.replace(b"</Types>", b"<!--" + b" " * 200_000 + b"--></Types>")
    large = _rezipped(sound, drop="[Content_Types].xml", add={"[Content_Types].xml": padded})
    ooxml._remembered_main_part.cache_clear()

    assert extract_workbook(sound, RETURN_LAYOUTS, MAX_BYTES, CAP).issues == []
    assert ooxml._remembered_main_part.cache_info().currsize == 1
    assert extract_workbook(large, RETURN_LAYOUTS, MAX_BYTES, CAP).issues == []
    assert ooxml._remembered_main_part.cache_info().currsize == 1
