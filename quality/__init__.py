"""Checks of the warehouse as a whole: Great Expectations suites kept as code."""
