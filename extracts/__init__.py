"""Published extracts: statistical disclosure control and spreadsheet-safe text.

Everything that leaves the warehouse for publication passes through here: counts of people
from 1 to 4 hidden, with enough secondary suppression that totals do not give them back
(`disclosure`), and text that a spreadsheet would run as a formula neutralised
(`neutralise`).
"""

from extracts.disclosure import (
    SUPPRESSED,
    WITHHELD,
    suppress_counts,
    suppress_table,
    withhold_percentages,
)
from extracts.neutralise import neutralise_text

__all__ = [
    "SUPPRESSED",
    "WITHHELD",
    "neutralise_text",
    "suppress_counts",
    "suppress_table",
    "withhold_percentages",
]
