"""The project's shared vocabulary, in one place.

Reference data (boards, services, staff groups, funds, outcomes), reporting periods and
their one parser, `Issue` and cell references, the layout of each return template, and
the records that pass between the pipeline's steps (a landed file, a received file, what
was read from a workbook, a submission record). Every other package takes these words
from here; this package imports no other project package.
"""
