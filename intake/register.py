"""Taking in a register file: reading its CSV, then checking it against the register's rules.

Reading (`connectors.register_csv`) and the rules (`schemas.register`) know nothing of each
other; this is where a file becomes a checked `RegisterFile`, ready for the warehouse.
"""

from __future__ import annotations

from pathlib import Path

from connectors.register_csv import RegisterCsv, parse_register_csv, read_register_csv
from domain.register import RegisterFile
from schemas.register import check_register_records


def _checked(read: RegisterCsv) -> RegisterFile:
    if read.records is None:
        return RegisterFile(read.source_name, read.sha256, problems=read.problems)
    return check_register_records(read.records, source_name=read.source_name, sha256=read.sha256)


def check_register(data: bytes, source_name: str) -> RegisterFile:
    """The register in `data` (a CSV file's bytes) with every problem it has."""
    return _checked(parse_register_csv(data, source_name))


def read_register(path: Path) -> RegisterFile:
    """The register CSV at `path`, checked; a file that cannot be opened is a problem too."""
    return _checked(read_register_csv(path))
