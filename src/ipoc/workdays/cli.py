"""`ipoc workdays …` commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ipoc.errors import DomainError

app = typer.Typer(help="The Chinese working-day calendar (holidays and make-up workdays).", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@app.command("add")
def add(
    start: Annotated[str, typer.Argument(help="first day of the period, YYYY-MM-DD")],
    n: Annotated[int, typer.Argument(help="number of working days")],
    first_day: Annotated[str | None, typer.Option(help="counts|excluded (default: setting notice_first_day)")] = None,
) -> None:
    """Print only the ISO date of the last day of an N-working-day period starting at START."""
    from ipoc.config import get_settings
    from ipoc.db import session_scope
    from ipoc.workdays import service as workdays

    try:
        day = date.fromisoformat(start)
    except ValueError:
        _fail(f"起始日“{start}”无效，应为 YYYY-MM-DD")
    try:
        with session_scope() as session:
            end = workdays.add_workdays(session, day, n, first_day or get_settings().notice_first_day)
    except DomainError as exc:
        _fail(exc.message)
    typer.echo(end.isoformat())


@app.command("load")
def load(file: Annotated[Path, typer.Argument(help="CSV with header date,kind,note (UTF-8 or GBK)")]) -> None:
    """Load one year's holidays and make-up workdays; the file is refused whole if any row is bad."""
    from ipoc.db import session_scope
    from ipoc.workdays import service as workdays

    if not file.is_file():
        _fail(f"文件不存在：{file}")
    try:
        with session_scope() as session:
            report = workdays.load_csv(session, file)
    except workdays.CalendarFileRejected as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        _fail("文件未导入，没有写入任何内容")
    typer.echo(report.summary())
