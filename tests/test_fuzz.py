"""Fuzzing the pipeline with real workbooks, mutated: every file ends accepted or rejected.

Hypothesis mutates real returns (a board's and a charity's) at every level a hostile or
broken file can differ: its bytes, its zip members and their declared sizes, its XML parts,
and the values in its cells (huge and non-finite numbers, control characters, very long
strings). A batch of them goes through the pipeline's own steps, the reader in its worker
pool included: no exception may escape, every file must be recorded once, and every return
with problems must get a report.

CI runs a fixed budget; for a release run more, e.g.
`PIMH_FUZZ_EXAMPLES=2000 .venv/bin/pytest -q tests/test_fuzz.py`.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from connectors.isolation import extract_many, warm_reader_pool
from feedback.annotate import annotate_workbook
from feedback.html_report import render_html_report
from feedback.subject import FeedbackSubject
from intake.outcome import needing_feedback, submission_records
from intake.triage import triage
from schemas.validate_batch import RETURN_LAYOUTS, validate_by_template
from tests.builders import valid_return, write
from tests.received_builders import received
from tests.tsr_builders import CHARITY, register_frame, valid_tsr, write_tsr
from transforms.run_facts import run_fact_rows
from warehouse.engine import open_warehouse
from warehouse.load import load_submissions
from warehouse.migrate import upgrade

EXAMPLES = int(os.environ.get("PIMH_FUZZ_EXAMPLES", "150"))
BOARD = "S08000024"
HOSTILE_TEXT = [
    "1e308", "1E+308", "9.3E+18", "2147483648", "1e400", "inf", "-Infinity", "NaN", "-0",
    "9" * 5_000, "\x00", "A\x00B", "\x1b[31m", "_x0000_", "x" * 40_000, "=1+1", "£1e12",
    "\u202e", "\U0001d7d9\U0001d7da", "",
]  # fmt: skip


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    """(reporter folder, bytes) of the real returns every mutation starts from."""
    folder = tmp_path_factory.mktemp("originals")
    board = write(folder / "board.xlsx", valid_return(BOARD)).read_bytes()
    charity = write_tsr(folder / "charity.xlsx", valid_tsr()).read_bytes()
    return [(BOARD, board), (CHARITY, charity)]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_warehouse(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'warehouse.db'}")
    upgrade(engine)
    warm_reader_pool(2)
    yield engine
    engine.dispose()


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [(info, archive.read(info)) for info in archive.infolist()]


def _zipped(members: list[tuple[str, bytes]]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members:
            target.writestr(name, content)
    return output.getvalue()


Mutation = Callable[[bytes], bytes]


@st.composite
def byte_flips(draw: st.DrawFn) -> Mutation:
    flips = draw(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8))

    def mutate(data: bytes) -> bytes:
        changed = bytearray(data)
        for where, value in flips:
            changed[int(where * (len(changed) - 1))] = value
        return bytes(changed)

    return mutate


@st.composite
def truncations(draw: st.DrawFn) -> Mutation:
    keep = draw(st.floats(0, 1))
    return lambda data: data[: int(len(data) * keep)]


@st.composite
def member_changes(draw: st.DrawFn) -> Mutation:
    """A member dropped, duplicated or renamed."""
    action = draw(st.sampled_from(["drop", "duplicate", "rename"]))
    which = draw(st.floats(0, 1))

    def mutate(data: bytes) -> bytes:
        members = [(info.filename, content) for info, content in _members(data)]
        index = int(which * (len(members) - 1))
        name, content = members[index]
        if action == "drop":
            del members[index]
        elif action == "duplicate":
            members.append((name, content))
        else:
            members[index] = (name.upper(), content)
        return _zipped(members)

    return mutate


@st.composite
def cell_values(draw: st.DrawFn) -> Mutation:
    """A value in a sheet or the shared strings replaced by something hostile."""
    text = draw(st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=50)))
    which = draw(st.floats(0, 1))
    escaped = (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .encode("utf-8", "surrogatepass")
    )  # fmt: skip
    escaped = re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: b"_x%04X_" % m[0][0], escaped)

    def mutate(data: bytes) -> bytes:
        members = [(info.filename, content) for info, content in _members(data)]
        xml_parts = [
            i for i, (n, _) in enumerate(members) if n.startswith("xl/") and n.endswith(".xml")
        ]
        index = xml_parts[int(which * (len(xml_parts) - 1))]
        name, content = members[index]
        values = list(re.finditer(rb"<(v|t)( [^>]*)?>[^<]*</\1>", content))
        if values:
            chosen = values[int(which * (len(values) - 1))]
            tag = chosen[1]
            content = (
                content[: chosen.start()]
                + b"<%s>%s</%s>" % (tag, escaped, tag)
                + content[chosen.end() :]
            )
        members[index] = (name, content)
        return _zipped(members)

    return mutate


@st.composite
def lying_sizes(draw: st.DrawFn) -> Mutation:
    """A member's declared uncompressed size rewritten (smaller or larger than the truth)."""
    claimed = draw(st.integers(0, 2**32 - 1))
    which = draw(st.floats(0, 1))

    def mutate(data: bytes) -> bytes:
        patched = bytearray(data)
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
        info = infos[int(which * (len(infos) - 1))]
        struct.pack_into("<I", patched, info.header_offset + 22, claimed)
        return bytes(patched)

    return mutate


mutations = st.one_of(byte_flips(), truncations(), member_changes(), cell_values(), lying_sizes())


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    batch=st.lists(
        st.tuples(st.integers(0, 1), st.lists(mutations, min_size=1, max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_every_mutated_return_is_recorded_with_a_report_and_nothing_escapes(
    batch: list[tuple[int, list[Mutation]]],
    originals: list[tuple[str, bytes]],
    warehouse: Engine,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    files = []
    for key, (which, steps) in enumerate(batch):
        folder, data = originals[which]
        for step in steps:
            try:
                data = step(data)
            except Exception:
                break
        files.append(
            received(key, data, folder, f"return {key}.xlsx", str(tmp_path_factory.getbasetemp()))
        )
    sorted_files = triage(files, {})

    contents = extract_many(
        [f.data for f in sorted_files.new], RETURN_LAYOUTS, 20_000_000, 200_000_000, workers=2
    )
    batches = validate_by_template(sorted_files.new, contents, register_frame())
    facts = run_fact_rows(batches)
    records = submission_records(sorted_files, contents, batches)
    loaded = load_submissions(warehouse, records, facts)

    assert sorted(r.key for r in records) == list(range(len(files)))
    assert set(loaded.ids) == {r.key for r in records}
    assert {r.status for r in records} <= {"accepted", "rejected", "duplicate"}
    by_key = {f.key: f for f in files}
    for record in needing_feedback(records):
        subject = FeedbackSubject(
            record.reporter_code, None, record.file_name, record.sha256, record.received_at,
            record.status, record.template, record.financial_year, record.quarter,
        )  # fmt: skip
        page = render_html_report(subject, record.issues)
        assert len(page) < 2_000_000
        annotate_workbook(by_key[record.key].data, record.file_name, record.issues)
