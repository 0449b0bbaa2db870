"""`ipoc workdays …` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The Chinese working-day calendar (holidays and make-up workdays).", no_args_is_help=True)
