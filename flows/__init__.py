"""The Prefect flows, tasks and deployments.

A served or worker-run flow run imports this package first (its entrypoint is a module
path): polars' allocator is told here, before polars is imported, to give freed memory
back at once (`config.allocator`).
"""

from config.allocator import return_freed_memory_at_once

return_freed_memory_at_once()
