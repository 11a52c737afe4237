"""`python -m desktop_app` runs the same command as `migration-discovery`."""

from desktop_app.cli.main import entry

entry()
