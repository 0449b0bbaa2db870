"""`ipoc reminders …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Deadline reminders.", no_args_is_help=True)
