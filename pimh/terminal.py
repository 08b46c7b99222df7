"""The console the ingest, demo and template commands print to.

One console, so the demo's own lines and the ingest summaries it prints between them
share one width and one colour setting.
"""

from __future__ import annotations

from rich.console import Console

console = Console()
