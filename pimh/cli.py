"""The `pimh` command, assembled from the modules that hold its commands.

Each module serves one audience: `pimh.cli_ingest` and `pimh.cli_register` the data team
taking returns in, `pimh.cli_outputs` the data team reporting on them, `pimh.cli_templates`
the boards and charities who send them, `pimh.cli_service` the data team running pimh as a
service, `pimh.cli_quality` the data team checking the warehouse's quality, and
`pimh.cli_demo` anyone trying pimh out.
"""

from __future__ import annotations

import typer

from pimh import (
    cli_demo,
    cli_ingest,
    cli_outputs,
    cli_quality,
    cli_register,
    cli_service,
    cli_templates,
)

app = typer.Typer(
    help="Consolidate the PIMH programme's quarterly returns into one warehouse.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(cli_templates.template_app, name="template")
app.command()(cli_ingest.ingest)
app.command()(cli_demo.demo)
app.add_typer(cli_register.register_app, name="register")
cli_outputs.register_commands(app)
cli_service.register_commands(app)
cli_quality.register_commands(app)
