"""The `pimh` command, assembled from the modules that hold its commands.

Each module serves one audience: `pimh.cli_ingest` and `pimh.cli_register` the data team
taking returns in, `pimh.cli_outputs` the data team reporting on them, `pimh.cli_report` the
Programme Board, `pimh.cli_templates` the boards and charities who send them,
`pimh.cli_service` the data team running pimh as a service, `pimh.cli_quality` the data
team checking the warehouse's quality, and `pimh.cli_demo` anyone trying pimh out.
"""

from __future__ import annotations

import typer

from pimh import (
    cli_contacts,
    cli_demo,
    cli_explain,
    cli_ingest,
    cli_outputs,
    cli_quality,
    cli_register,
    cli_report,
    cli_service,
    cli_templates,
    cli_warehouse,
)

app = typer.Typer(
    help="Consolidate the PIMH programme's quarterly returns into one warehouse.",
    no_args_is_help=True,
    add_completion=False,
    # Markdown joins a docstring's lines into paragraphs that wrap at the terminal's width
    # (rich mode keeps the docstring's own line breaks, which then break mid-sentence), and
    # leaves parentheses, brackets and URLs as typed.
    rich_markup_mode="markdown",
)
app.add_typer(cli_templates.template_app, name="template")
app.command()(cli_ingest.ingest)
app.command()(cli_demo.demo)
app.add_typer(cli_register.register_app, name="register")
app.add_typer(cli_contacts.contacts_app, name="contacts")
cli_outputs.register_commands(app)
cli_report.register_commands(app)
cli_service.register_commands(app)
cli_explain.register_commands(app)
app.add_typer(cli_warehouse.warehouse_app, name="warehouse")
cli_quality.register_commands(app)
