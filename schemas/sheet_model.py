"""pandera models whose columns are a sheet's layout, typed as `schemas.prepare` types them.

A sheet's rules are written once, as `@pa.check` methods on a rules class; the model adds
the layout's columns to it. A column added to the layout is then declared, typed and
validated without being written out again here.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar, cast

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.layouts import ColumnLayout, SheetLayout
from schemas.checks import (
    SheetRowsModel,
    not_negative,
    parsed_as_number,
    whole_and_not_negative,
    within_largest,
)
from schemas.prepare import text_column

Rules = TypeVar("Rules", bound=SheetRowsModel)


def _typed_columns(column: ColumnLayout) -> dict[str, type]:
    """The frame columns one layout column becomes: what was typed, then what it means."""
    if column.kind == "text":
        return {column.key: str}
    return {text_column(column.key): str, column.key: float if column.is_measure else str}


def _is_number(_cls: Any, data: PolarsData) -> pl.LazyFrame:
    return parsed_as_number(data)


def _whole_number(_cls: Any, data: PolarsData) -> pl.LazyFrame:
    return whole_and_not_negative(data)


def _count_too_large(_cls: Any, data: PolarsData) -> pl.LazyFrame:
    return within_largest(data, "count")


def _pounds_not_negative(_cls: Any, data: PolarsData) -> pl.LazyFrame:
    return not_negative(data)


def _pounds_too_large(_cls: Any, data: PolarsData) -> pl.LazyFrame:
    return within_largest(data, "pounds")


# The rules every measure of a kind keeps, whichever sheet it is on (SPEC.md: figures are
# numbers; counts of people whole and 0 or more; pounds 0 or more; none past LARGEST).
# WTE's range and decimals are the Staffing sheet's own rules.
_KIND_RULES: Final = (
    ("is_number", ("wte", "count", "pounds"), _is_number),
    ("whole_number", ("count",), _whole_number),
    ("count_too_large", ("count",), _count_too_large),
    ("pounds_not_negative", ("pounds",), _pounds_not_negative),
    ("pounds_too_large", ("pounds",), _pounds_too_large),
)


def _kind_checks(layout: SheetLayout) -> dict[str, Any]:
    """Each kind rule as a pandera check on the sheet's measures of that kind."""
    checks: dict[str, Any] = {}
    for name, kinds, rule in _KIND_RULES:
        keys = [c.key for c in layout.columns if c.kind in kinds]
        if keys:
            checks[name] = pa.check(*keys, name=name)(rule)
    return checks


def sheet_model(layout: SheetLayout, rules: type[Rules], name: str) -> type[Rules]:
    """`rules` with the layout's columns as fields, every one nullable (empty = not reported),
    and the rules every measure of its kind keeps.

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
        **_kind_checks(layout),
    }
    return cast("type[Rules]", type(name, (rules,), namespace))
