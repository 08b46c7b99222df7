"""A run's readable returns validated: one batch per template, each batch in one go.

pandera is cheap per row and dear per call, so every return of a template in a run is
validated together, however many arrive. The rule that settles a return's fate lives here
too, so the fact rows and the submission records cannot disagree on it: a return with any
error is rejected whole; one with warnings only is accepted (SPEC.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from domain.issues import Issue, file_problem
from domain.layouts import BQR, TSR, TemplateLayout
from domain.records import ReceivedFile
from domain.reference import BQR_TEMPLATE_NAME, TSR_TEMPLATE_NAME
from domain.workbook import WorkbookContent
from schemas.batch import ReturnInput, ValidatedBatch
from schemas.validate_bqr import validate_board_returns
from schemas.validate_tsr import validate_third_sector_returns

# The templates the reader knows, by the name on their Cover sheet.
RETURN_LAYOUTS: Final[dict[str, TemplateLayout]] = {BQR_TEMPLATE_NAME: BQR, TSR_TEMPLATE_NAME: TSR}
# Their codes, as submission records name templates.
TEMPLATE_CODES: Final = tuple(layout.code for layout in RETURN_LAYOUTS.values())

Validator = Callable[[Sequence[ReturnInput], pl.DataFrame], ValidatedBatch]


def _validate_board_returns(
    returns: Sequence[ReturnInput], _register: pl.DataFrame
) -> ValidatedBatch:
    # Boards are not on the register of funded organisations.
    return validate_board_returns(returns)


# By template code (a layout's `code`), as submission records name the template.
_VALIDATORS: Final[dict[str, Validator]] = {
    BQR.code: _validate_board_returns,
    TSR.code: validate_third_sector_returns,
}


@dataclass(frozen=True, slots=True)
class TemplateBatch:
    """One template's readable returns of a run, validated together.

    Positions line up: the return at position i of `returns` came in the received file
    `keys[i]`, and the validated batch's issues and rows name it by i.
    """

    template: str  # the template's code, e.g. BQR
    keys: list[int]
    returns: list[ReturnInput]
    validated: ValidatedBatch

    def issues(self, position: int) -> list[Issue]:
        """The reader's problems with the return first, then the rules' (the listed ones)."""
        return [
            *self.returns[position].content.issues,
            *self.validated.issues.get(position, []),
        ]

    def unlisted(self, position: int) -> tuple[int, int]:
        """(errors, warnings) the rules found in the return but did not list."""
        return self.validated.unlisted.get(position, (0, 0))

    def is_accepted(self, position: int) -> bool:
        """No error at all, listed or only counted: one error rejects the whole return."""
        return not (
            self.unlisted(position)[0]
            or any(issue.is_error for issue in self.returns[position].content.issues)
            or any(issue.is_error for issue in self.validated.issues.get(position, ()))
        )

    @property
    def accepted(self) -> list[int]:
        """The positions of the accepted returns."""
        return [position for position in range(len(self.keys)) if self.is_accepted(position)]


UNCHECKABLE: Final = (
    "The return could not be checked: something in it stopped the checks. The PIMH data "
    "team has been told. Save it again from the return template and resend it."
)


def validate_by_template(
    new: Sequence[ReceivedFile],
    contents: Sequence[WorkbookContent],
    register: pl.DataFrame,
    templates: Sequence[str] = tuple(RETURN_LAYOUTS),
) -> list[TemplateBatch]:
    """The readable returns of each known template, validated as one batch per template.

    `contents` are the reader's results for `new`, in the same order; `register` holds
    every version of the register of funded organisations; `templates` the names of the
    templates whose returns to validate (by default every one the reader knows).
    Unreadable workbooks and unknown templates have nothing to validate and are left out.

    No return stops another: should a batch fail, each return is validated alone, and one
    that fails even alone is given a file-level problem in its content (so it is recorded
    as rejected, as an unreadable file is) and the rest are validated without it.
    """
    batches = []
    for name in templates:
        layout = RETURN_LAYOUTS[name]
        pairs = [
            (item, content)
            for item, content in zip(new, contents, strict=True)
            if content.readable and content.template_name == name
        ]
        if not pairs:
            continue
        validate = _VALIDATORS[layout.code]
        try:
            validated = validate([_input(pair) for pair in pairs], register)
        except Exception:  # one return's oddity must not cost the others their checks
            pairs = [pair for pair in pairs if _checkable(validate, pair, register)]
            if not pairs:
                continue
            validated = validate([_input(pair) for pair in pairs], register)
        batches.append(
            TemplateBatch(
                layout.code,
                [item.key for item, _ in pairs],
                [_input(pair) for pair in pairs],
                validated,
            )
        )
    return batches


def _input(pair: tuple[ReceivedFile, WorkbookContent]) -> ReturnInput:
    item, content = pair
    return ReturnInput(item.landed.reporter_code, content)


def _checkable(
    validate: Validator, pair: tuple[ReceivedFile, WorkbookContent], register: pl.DataFrame
) -> bool:
    """Whether the return can be validated on its own; if not, it says so in its content."""
    try:
        validate([_input(pair)], register)
    except Exception:  # whatever it is, it is this return's
        pair[1].issues.append(file_problem(UNCHECKABLE))
        return False
    return True
