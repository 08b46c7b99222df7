"""pandera models whose columns are a sheet's layout, typed as `schemas.prepare` types them.

A sheet's rules are written once, as `@pa.check` methods on a rules class; the model adds
the layout's columns to it. A column added to the layout is then declared, typed and
validated without being written out again here.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import pandera.polars as pa

from domain.layouts import ColumnLayout, SheetLayout
from schemas.checks import SheetRowsModel
from schemas.prepare import text_column

Rules = TypeVar("Rules", bound=SheetRowsModel)


def _typed_columns(column: ColumnLayout) -> dict[str, type]:
    """The frame columns one layout column becomes: what was typed, then what it means."""
    if column.kind == "text":
        return {column.key: str}
    return {text_column(column.key): str, column.key: float if column.is_measure else str}


def sheet_model(layout: SheetLayout, rules: type[Rules], name: str) -> type[Rules]:
    """`rules` with the layout's columns as fields, every one nullable (empty = not reported).

    The fields follow the rules class's own (return index, sheet row, ...) in layout
    order: pandera reports failures column by column, so issues keep the sheet's order.
    """
    annotations: dict[str, type] = {}
    for column in layout.columns:
        annotations.update(_typed_columns(column))
    namespace: dict[str, Any] = {
        "__module__": rules.__module__,
        "__doc__": rules.__doc__,
        "__annotations__": annotations,
        **{key: pa.Field(nullable=True) for key in annotations},
    }
    return cast("type[Rules]", type(name, (rules,), namespace))
