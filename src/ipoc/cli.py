"""The ``ipoc`` command line."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ipoc.audit.context import Actor, acting_as
from ipoc.auth.roles import ACCOUNT_ROLES, Role
from ipoc.errors import DomainError
from ipoc.reminders.cli import app as reminders_app
from ipoc.workdays.cli import app as workdays_app

app = typer.Typer(
    help="内蒙古产业知识产权运营中心平台 (ipoc)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database: migrations, backup and restore.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
patents_app = typer.Typer(help="The industry patent database.", no_args_is_help=True)
index_app = typer.Typer(help="Search indexes (rebuilt from the database, never re-embedding).", no_args_is_help=True)
embed_app = typer.Typer(help="Semantic vectors of patent passages.", no_args_is_help=True)
docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)
for sub, name in [
    (workdays_app, "workdays"),
    (reminders_app, "reminders"),
    (patents_app, "patents"),
    (index_app, "index"),
    (embed_app, "embed"),
    (db_app, "db"),
    (demo_app, "demo"),
    (user_app, "user"),
    (token_app, "token"),
    (audit_app, "audit"),
    (docs_app, "docs"),
]:
    app.add_typer(sub, name=name)


def _os_user() -> str:
    """Who ran the command; a uid with no passwd entry (common in containers) has no name to give."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


@app.callback()
def _main(ctx: typer.Context) -> None:
    """Every command acts as the operating-system user who ran it, for the audit trail; only while the
    command runs, so that a caller running it in-process (tests) does not go on acting as the CLI."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("ipoc").setLevel(logging.INFO)
    import ipoc.models  # noqa: F401  (every mapper must know every table before the first flush)

    ctx.with_resource(acting_as(Actor(id=None, label=f"cli:{_os_user()}")))


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


# Idle keep-alive connections are kept longer than uvicorn's 5 s: a browser or a reverse proxy reusing a
# connection just as the server closes it sees a dropped request (seen under load as RemoteDisconnected).
KEEP_ALIVE_S = 75


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, help="web processes (more than 1 needs PostgreSQL)")] = 1,
) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    from ipoc.config import get_settings

    if workers > 1 and get_settings().sqlalchemy_url.startswith("sqlite"):
        _fail("SQLite 数据库只能由一个进程写入：--workers 大于 1 需要 PostgreSQL（设置 IPOC_DATABASE_URL）", 2)
    uvicorn.run(
        "ipoc.shell.app:create_app",
        factory=True,
        host=host,
        port=port,
        proxy_headers=False,
        workers=workers,
        timeout_keep_alive=KEEP_ALIVE_S,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="jobs run at the same time")] = 1,
    grace: Annotated[float, typer.Option(min=0, help="seconds a stop waits for running jobs")] = 60.0,
) -> None:
    """Run queued jobs (imports, exports, embedding, index rebuilds) and keep the search index current."""
    from ipoc.jobs import worker as job_worker

    raise typer.Exit(job_worker.run(concurrency, grace))


@docs_app.command("workflows")
def docs_workflows(folder: Path = Path("docs/workflows")) -> None:
    """Write one page per state machine (states, steps, who takes them) into FOLDER."""
    from ipoc.ops.workflow_docs import write

    for path in write(folder):
        typer.echo(path)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the Alembic migrations (reference data included)."""
    from ipoc.ops.migrate import upgrade

    upgrade(revision)
    typer.echo(f"database at revision {revision}")


@db_app.command("backup")
def db_backup(path: Path) -> None:
    """Back up the database, uploaded files and the audit anchor to PATH (tar.gz)."""
    from ipoc.db import session_scope
    from ipoc.ops.backup import backup

    try:
        with session_scope() as session:
            manifest = backup(session, path)
    except DomainError as exc:  # BackupFailed: nothing was left at PATH
        _fail(exc.message)
    typer.echo(f"backup written to {path}: {sum(manifest['tables'].values())} rows")


@db_app.command("restore")
def db_restore(
    path: Path,
    accept_other_key: Annotated[
        bool,
        typer.Option(
            "--accept-other-key",
            help="restore a backup made under another secret key (when that key is lost for good); "
            "the restored audit chain will then fail verification",
        ),
    ] = False,
) -> None:
    """Replace this instance's data with a backup made by `ipoc db backup`; the search index is rebuilt."""
    from ipoc.db import session_scope
    from ipoc.ops.backup import OTHER_KEY_MESSAGE, restore, same_key

    try:
        with session_scope() as session:
            manifest = restore(session, path, accept_other_key=accept_other_key)
    except DomainError as exc:
        if exc.message == OTHER_KEY_MESSAGE:
            _fail(f"{exc.message}。若该密钥已无法找回，可加 --accept-other-key 仍然恢复（恢复的审计链将无法通过校验）")
        _fail(exc.message)
    if same_key(manifest) is False:
        typer.echo(
            "警告：备份由另一密钥的实例生成，恢复的审计链在本实例无法通过校验（ipoc audit verify 将报错）", err=True
        )
    typer.echo(f"restored {sum(manifest['tables'].values())} rows from {path}")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo organisations, center, dossiers and one login per role, then print the logins."""
    from ipoc.auth.roles import ROLE_LABELS
    from ipoc.db import session_scope
    from ipoc.ops import demo, demo_deals, demo_events, demo_matching, demo_stock, demo_transfer
    from ipoc.ops.demo_lifecycle import load_lifecycle

    with session_scope() as session:
        logins = demo.load(session)
    with session_scope() as session:
        if load_lifecycle(session):
            typer.echo("demo lifecycle: an open call, a dossier waiting on 赤峰市局, a draft, the center's records")
    typer.echo(demo.patent_summary(demo.load_patents()))
    with session_scope() as session:
        if demo_transfer.load(session):
            typer.echo("demo technology transfer: demands of 包头示例稀土新材料有限公司, offers of 内蒙古示例大学")
    for loader, summary in [
        (demo_stock.load, "demo stock patents: 内蒙古示例大学's inventory, screened, one group made a draft offer"),
        (demo_matching.load, "demo matches: proposals for the demands and offers, one accepted, one forwarded"),
        (demo_events.load, "demo events: a held roadshow with attendance, an open matchmaking event"),
        (demo_deals.load, "demo deals: four of the rare-earth center's, signed, recorded, negotiating, abandoned"),
    ]:
        with session_scope() as session:
            if loader(session):
                typer.echo(summary)
    if logins is None:
        typer.echo("demo data already loaded (logins as printed then; passwords may have been changed)")
        logins = demo.LOGINS
    typer.echo(f"demo logins (password for all: {demo.DEMO_PASSWORD}; each must be changed at first login):")
    for login in logins:
        scope = f" [{login.scope}]" if login.scope else ""
        typer.echo(f"  {login.username:<10} {ROLE_LABELS[login.role]}{scope}")


_PASSWORD_STDIN = typer.Option("--password-stdin", help="read the password from stdin")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[str, typer.Option(help="|".join(r.value for r in ACCOUNT_ROLES))],
    scope: Annotated[str | None, typer.Option(help="league/city, center or organisation")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Create an account; the user must change the password at first login."""
    from ipoc.auth import service as accounts
    from ipoc.db import session_scope

    if role not in {r.value for r in ACCOUNT_ROLES}:
        _fail(f"unknown role {role!r}; choose one of: {', '.join(r.value for r in ACCOUNT_ROLES)}", 2)
    # A file written on Windows ends its line with \r\n: neither character is part of the password.
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else getpass.getpass("password: ")
    try:
        with session_scope() as session:
            user = accounts.create_user(
                session,
                username=username,
                display_name=name or username,
                role=Role(role),
                password=password,
                scope=scope,
            )
    except DomainError as exc:
        _fail(exc.message)
    typer.echo(f"created user {user.username} (id {user.id}, {role})")  # only once it is committed


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Option("--user", help="whose token")],
    name: Annotated[str, typer.Option(help="what the token is for")],
    days: Annotated[int, typer.Option(help="days until it expires")] = 365,
) -> None:
    """Create an API token and print it once."""
    from sqlalchemy import select

    from ipoc.auth import service as accounts
    from ipoc.auth.models import User
    from ipoc.db import session_scope

    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            _fail(f"no such user: {username}")
        try:
            _token, plaintext = accounts.create_token(session, user, name, days=days)
        except DomainError as exc:
            _fail(exc.message)
    typer.echo(plaintext)


@audit_app.command("verify")
def audit_verify() -> None:
    """Exit 0 when the audit chain is intact and every audited row matches it; 1 otherwise, naming the first
    bad record and each row edited, inserted or deleted behind the application's back (table, id, fields)."""
    from ipoc.audit.rows import uncovered_patents, verify_rows
    from ipoc.audit.service import verify_chain
    from ipoc.db import session_scope

    with session_scope() as session:
        result = verify_chain(session)
        findings = [f.describe() for f in verify_rows(session)]
        findings += [f"inserted patents {pid}: no import batch record" for pid in uncovered_patents(session)]
    if result.ok:
        typer.echo(f"audit chain intact: {result.checked} records")
    else:
        typer.echo(f"audit chain broken at record {result.bad_id}: {result.message}", err=True)
    for line in findings:  # on stderr when the chain is broken: stdout then names only the bad record
        typer.echo(f"row changed outside the application: {line}", err=not result.ok)
    if findings:
        typer.echo(f"{len(findings)} rows differ from the audit trail", err=True)
    elif result.ok:
        typer.echo("audited rows match the audit trail")
    if not result.ok:
        typer.echo(str(result.bad_id))
    if findings or not result.ok:
        raise typer.Exit(1)


def _column_summary(columns: list[dict]) -> str:
    """One line per kind of destination: which columns were mapped, kept verbatim, or empty throughout."""
    from ipoc.patents.service import field_label

    lines = []
    for status, label in (("mapped", "已映射"), ("kept", "原样保留（其他字段）"), ("empty", "全空")):
        headers = [
            c["header"] + (f"→{field_label(c['field'])}" if c["field"] else "")
            for c in columns
            if c["status"] == status
        ]
        if headers:
            lines.append(f"{label} {len(headers)} 列：{'、'.join(headers)}")
    return "\n".join(lines)


@patents_app.command("import")
def patents_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8/GBK/GB18030), XLSX, XLS or JSONL export, or a node/relationship graph set (a folder or a"
            " ZIP holding node/patent.csv)"
        ),
    ],
    report: Annotated[
        Path | None, typer.Option(help="where to write the rejected-row report (XLSX if PATH ends in .xlsx, else CSV)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the counts, the tool and where each column went, as one JSON object")
    ] = False,
) -> None:
    """Import patents (any office: by application number, else publication number), merging into what is stored;
    rejected rows go to the report. The passages of new or changed patents are embedded by a queued background job
    (run by `ipoc serve` or `ipoc worker`)."""
    import json
    import shutil

    from tqdm import tqdm

    from ipoc.db import session_scope
    from ipoc.jobs.service import Progress
    from ipoc.patents import service as patents
    from ipoc.patents.graph import export_size

    if not file.exists():
        _fail(f"文件不存在：{file}", 2)
    with session_scope() as session:
        job = patents.start_import(session, owner_id=None, filename=file.name)
    bar = tqdm(total=export_size(file), unit="B", unit_scale=True, desc="导入", file=sys.stderr, leave=False)

    class _BarProgress(Progress):
        def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
            bar.update(done - bar.n)
            super().update(done, total, message)

    progress = _BarProgress(job.id, min_step=1 << 20)
    progress.start(message=str(file))
    try:
        result = patents.run_import(file, job, progress)
    except DomainError as exc:  # the file refused whole, or the instance's header-synonym file is broken
        progress.fail(exc.message)
        _fail(f"文件无法导入：{exc.message}", 2)
    except BaseException:
        progress.fail("导入中断：已提交的批次已保存，重新导入同一文件即可补全")
        raise
    finally:
        bar.close()
    if report is not None:
        assert result.report_path is not None  # run_import always writes the job's report
        written = Path(result.report_path)
        shutil.copyfile(written.with_suffix(".xlsx") if report.suffix.lower() == ".xlsx" else written, report)
        result.report_path = str(report)
    embedding = patents.follow_with_embedding(result, owner_id=None)
    progress.finish(result.summary() | ({"embedding_job": embedding[0]} if embedding else {}))
    counts = {"imported": result.imported, "updated": result.updated, "rejected": result.rejected}
    if as_json:
        extra = {"unchanged": result.unchanged, "warnings": result.warnings, "tool": result.tool}
        typer.echo(json.dumps(counts | extra | {"columns": result.columns}, ensure_ascii=False))
    else:
        typer.echo(
            f"新增 {result.imported}，更新 {result.updated}，未变 {result.unchanged}，"
            f"拒绝 {result.rejected}，警告 {result.warnings}"
        )
        typer.echo(_column_summary(result.columns))
    typer.echo(f"错误报告：{result.report_path}", err=True)
    if embedding:
        typer.echo(_embedding_queued(*embedding, written=result.imported + result.updated), err=True)


def _embedding_queued(job_id: int, created: bool, *, written: int) -> str:
    """What the import tells about the vectors of its patents: a queued job, and who will run it."""
    from ipoc.db import session_scope
    from ipoc.jobs import queue

    with session_scope() as session:
        runners = queue.live_runners(session)
    if created:
        line = f"已排队计算段落向量（本次新增或更新 {written} 件专利，任务 #{job_id}），由后台任务完成"
    else:
        line = f"段落向量计算任务 #{job_id} 已在排队，本次新增或更新的 {written} 件专利将一并计算"
    if runners:
        return f"{line}；运行中的 ipoc serve / ipoc worker 将执行它"
    return (
        f"{line}；当前没有运行中的 ipoc serve 或 ipoc worker，任务将在下次启动 ipoc serve（SQLite）"
        "或 ipoc worker（PostgreSQL）时执行，也可立即运行 ipoc embed run"
    )


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Rebuild the lexical and vector indexes from the database and the stored vectors."""
    from ipoc.search import index_sync

    try:  # as the index writer, or by asking the process that is (IndexBusy when none can)
        status = index_sync.rebuild(progress=_stderr_progress("重建索引"))
    except DomainError as exc:
        _fail(exc.message)
    typer.echo(f"索引已重建：{status.documents} 篇专利，{status.vectors} 个向量")


@embed_app.command("run")
def embed_run(
    batch: Annotated[int, typer.Option(help="passages per committed batch")] = 32,
    limit: Annotated[int | None, typer.Option(help="stop after this many passages")] = None,
) -> None:
    """Embed the passages that have no stored vector yet; safe to interrupt and run again."""
    from ipoc.search import semantic

    done = semantic.embed_missing(batch=batch, limit=limit, progress=_stderr_progress("计算语义向量"))
    typer.echo(f"新计算 {done} 个段落向量")


def _stderr_progress(label: str):
    """A progress callback drawing a bar on standard error, so that standard output stays clean."""
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int | None) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=label, file=sys.stderr, leave=False)
        bar["bar"].total = total
        bar["bar"].update(done - bar["bar"].n)

    return update


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="query text or expression, e.g. TI=(稀土 AND 永磁)")],
    mode: Annotated[str, typer.Option(help="lexical|semantic|hybrid")] = "hybrid",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON Lines, one hit per line")] = False,
) -> None:
    """Search the patent database and print the hits, best first."""
    import json

    from ipoc.db import session_scope
    from ipoc.search import index_sync
    from ipoc.search import service as search
    from ipoc.search.schemas import SearchRequest

    index_sync.wait_until_current(0)  # with no index writer running, this command catches the index up first
    try:
        request = SearchRequest.model_validate({"q": query, "mode": mode, "limit": limit})  # the mode is checked
        with session_scope() as session:
            answer = search.search(session, request)
    except DomainError as exc:
        _fail(exc.message, 2)
    except ValueError as exc:
        _fail(str(exc), 2)
    if answer.degraded:
        typer.echo("提示：语义向量尚未就绪，结果仅按关键词检索", err=True)
    elif answer.notice:
        typer.echo(f"提示：{answer.notice}", err=True)
    for hit in answer.hits:
        if as_json:
            typer.echo(json.dumps(hit.model_dump(mode="json"), ensure_ascii=False))
        else:
            typer.echo(f"{hit.application_no}\t{hit.score:.4f}\t{hit.title}")


@app.command("match")
def match_command(
    query: Annotated[str, typer.Argument(help="a need written as free text, e.g. 风机叶片冬季结冰影响发电")],
    limit: Annotated[int, typer.Option(min=1, max=200)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON Lines, best first")] = False,
) -> None:
    """Rank patents for a need written as free text, with the reasons of each match."""
    import json

    from ipoc.db import session_scope
    from ipoc.matching import service as matching

    if not query.strip():
        _fail("需求描述不能为空", 2)
    try:
        with session_scope() as session:
            semantic = matching.semantic_ready(session)
            candidates = matching.rank_patents_for_text(session, query, limit=limit)
    except DomainError as exc:
        _fail(exc.message, 2)
    if not semantic:
        typer.echo("提示：语义向量尚未就绪，结果仅按关键词匹配", err=True)
    for c in candidates:
        if as_json:
            line = {
                "application_no": c.application_no,
                "score": c.score,
                "reasons": c.reasons,
                "title": c.title,
                "confidence": c.confidence,
                "confidence_label": c.confidence_label,
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        else:
            typer.echo(f"{c.application_no}\t{c.score:.4f}\t{c.confidence_label}\t{c.title}\t{'；'.join(c.reasons)}")
