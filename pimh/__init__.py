"""pimh: the data platform for the Perinatal and Infant Mental Health programme's returns.

Every command starts here, before anything imports polars: this is where polars'
allocator is told to give freed memory back at once (`config.allocator`).
"""

from config.allocator import return_freed_memory_at_once

return_freed_memory_at_once()
