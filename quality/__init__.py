"""Checks of the warehouse as a whole: Great Expectations suites kept as code.

Importing Great Expectations costs seconds, so only the modules that run the checks
(`quality.suites`, `quality.checkpoint`) import it, and nothing the ingest flow imports
imports them. Its usage statistics are off before it is first imported: pimh's machines
have no network to send them on.
"""

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
