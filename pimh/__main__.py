from pimh.cli import app

app()
