"""Benchmarks of the ingest pipeline (not tests: they print figures).

Their runs are the product's: polars' allocator is set as `pimh` sets it, here, before
anything imports polars (`config.allocator`).
"""

from config.allocator import return_freed_memory_at_once

return_freed_memory_at_once()
