"""Configuration: every `PIMH_*` setting, read from the environment or a `.env` file.

Below every step of the pipeline, so flows, commands and tests read one `Settings`.
"""
