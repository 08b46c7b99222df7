"""Sample returns: realistic, quirky and deliberately faulty workbooks.

Used by tests, the demo and the benchmarks; nothing here is read by the pipeline itself.
"""

from samples.board_returns import (
    BoardReturnContent,
    Cell,
    Quirks,
    data_cell,
    realistic_board_return,
    services_run,
    total_row,
    write_board_return,
)
from samples.demo import DemoReturn, PlantedProblem, generate_demo_quarter

__all__ = [
    "BoardReturnContent",
    "Cell",
    "DemoReturn",
    "PlantedProblem",
    "Quirks",
    "data_cell",
    "generate_demo_quarter",
    "realistic_board_return",
    "services_run",
    "total_row",
    "write_board_return",
]
