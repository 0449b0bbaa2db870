"""`ipoc reminders …` commands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

app = typer.Typer(help="Deadline reminders.", no_args_is_help=True)


@app.command("send")
def send(
    today: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="act as if today were this date (YYYY-MM-DD)")
    ] = None,
) -> None:
    """Send today's reminders and close construction periods that have ended; prints how many
    notifications were created. Meant to run once a day from cron, e.g. `0 7 * * * ipoc reminders send`;
    running it twice the same day sends nothing new."""
    from ipoc.db import session_scope
    from ipoc.reminders.service import send_reminders

    with session_scope() as session:
        count = send_reminders(session, today.date() if today else None)
    typer.echo(f"{count} reminder(s) created")
