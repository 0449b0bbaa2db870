"""The load mix of issue 11: people logging in (some mistyping), dashboards, lists, search, imports and writes.

Run by ``benchmarks/load_bench.py`` against a server it started on loopback; never aim it at another host.
Every request counts as a failure unless it answers what a person would expect: a 5xx, a time-out, a
connection error or an unexpected status all fail the run.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
import re

from locust import HttpUser, between, events, task

from ipoc.patents.numbers import check_char

PASSWORD = os.environ.get("IPOC_LOAD_PASSWORD", "loadPassw0rd!")
TIMEOUT = float(os.environ.get("IPOC_LOAD_TIMEOUT", "30"))
QUERIES = [
    "稀土永磁",
    "钕铁硼 矫顽力",
    "乳制品 发酵",
    "风电 叶片",
    "煤化工 催化剂",
    "稀土 AND 永磁",
]
_serials = itertools.count(int(os.environ.get("IPOC_LOAD_SERIAL_BASE", "5000000")))
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--admin-token", default=os.environ.get("IPOC_LOAD_ADMIN_TOKEN", ""))


class _Person(HttpUser):
    """Someone with an account: logs in through the login form and keeps the cookie, as a browser does."""

    abstract = True
    wait_time = between(1, 3)
    accounts: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.client.timeout = TIMEOUT
        self.username = random.choice(self.accounts)
        self.csrf = ""
        self._login()

    def _login(self) -> None:
        page = self.client.get("/login", name="/login [form]")
        self.csrf = _csrf(page.text)
        with self.client.post(
            "/login",
            data={"username": self.username, "password": PASSWORD, "csrf_token": self.csrf},
            allow_redirects=False,
            catch_response=True,
            name="/login [ok]",
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"login of {self.username} answered {answer.status_code}")
        self.csrf = _csrf(self.client.get("/dashboard", name="/dashboard").text) or self.csrf

    def get_page(self, path: str, name: str | None = None) -> None:
        with self.client.get(path, name=name or path, catch_response=True, allow_redirects=False) as answer:
            if answer.status_code != 200:
                answer.failure(f"{path} answered {answer.status_code}")

    @task(4)
    def dashboard(self) -> None:
        self.get_page("/dashboard")

    @task(3)
    def search_page(self) -> None:
        self.get_page(f"/patents/search?q={random.choice(QUERIES)}", "/patents/search?q=…")

    @task(3)
    def search_api(self) -> None:
        self.get_page(f"/api/v1/patents/search?q={random.choice(QUERIES)}", "/api/v1/patents/search?q=…")

    @task(3)
    def lists(self) -> None:
        self.get_page(random.choice(["/demands", "/offers", "/events", "/centers", "/notices"]), "[lists]")

    @task(1)
    def relogin(self) -> None:
        """Log out and in again: a session ends and a new one starts, with their audit records."""
        with self.client.post(
            "/logout", data={"csrf_token": self.csrf}, allow_redirects=False, catch_response=True, name="/logout"
        ) as answer:
            if answer.status_code not in (303, 200):
                answer.failure(f"logout answered {answer.status_code}")
        self.client.cookies.clear()
        self._login()


class Official(_Person):
    """Bureau officers, experts and the region admin: mostly reading."""

    weight = 4
    accounts = ("admin", "baotou", "chifeng", "expert")


class CenterStaff(_Person):
    """The center's staff: the desk, and now and then an import of a small file."""

    weight = 3
    accounts = ("center",)

    @task(3)
    def desk(self) -> None:
        self.get_page(random.choice(["/inbox", "/deals", "/stock"]), "[desk]")

    @task(1)
    def import_patents(self) -> None:
        upload = {"file": ("load.csv", _patent_csv(5), "text/csv")}
        with self.client.post(
            "/api/v1/patents/imports",
            files=upload,
            headers={"X-CSRF-Token": self.csrf},
            catch_response=True,
            name="/api/v1/patents/imports",
        ) as answer:
            if answer.status_code != 202:
                answer.failure(f"import answered {answer.status_code}: {answer.text[:200]}")


class Member(_Person):
    """Member organisations: record technology demands (a write through the form) and read them back."""

    weight = 2
    accounts = ("member", "dairy")

    @task(2)
    def new_demand(self) -> None:
        form = {
            "csrf_token": self.csrf,
            "title": f"压测需求{random.randrange(10**6)}",
            "problem": "需求内容：1）提高稀土永磁体矫顽力（2）降低重稀土用量",
            "desired_effect": "矫顽力提高 10%",
            "keywords": "稀土永磁；矫顽力",
            "modes": "licence",
            "public_summary": "寻求提高矫顽力的技术",
        }
        with self.client.post(
            "/demands/new", data=form, allow_redirects=False, catch_response=True, name="/demands/new"
        ) as answer:
            if answer.status_code != 303:
                answer.failure(f"new demand answered {answer.status_code}")


class Mistyper(HttpUser):
    """Someone who gets the password wrong: refused (200 with the form again) or slowed down (429), never 5xx."""

    weight = 1
    wait_time = between(2, 5)

    @task
    def wrong_password(self) -> None:
        self.client.timeout = TIMEOUT
        csrf = _csrf(self.client.get("/login", name="/login [form]").text)
        form = {"username": f"nobody{random.randrange(50)}", "password": "wrong-password", "csrf_token": csrf}
        with self.client.post("/login", data=form, catch_response=True, name="/login [wrong]") as answer:
            if answer.status_code not in (200, 401, 422, 429):
                answer.failure(f"failed login answered {answer.status_code}")
            else:
                answer.success()


class Visitor(HttpUser):
    """The public: the home page, public lists and the health check."""

    weight = 1
    wait_time = between(1, 3)

    @task
    def browse(self) -> None:
        self.client.timeout = TIMEOUT
        for path in ("/", "/healthz", random.choice(["/demands", "/offers", "/notices"])):
            with self.client.get(path, name=f"{path} [public]", catch_response=True) as answer:
                if answer.status_code != 200:
                    answer.failure(f"{path} answered {answer.status_code}")


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    return match.group(1) if match else ""


def _patent_csv(rows: int) -> bytes:
    """A small CNIPA-style export with fresh, valid application numbers (a new patent per row)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["申请号", "发明名称", "申请人", "摘要", "申请日", "主分类号"])
    for _ in range(rows):
        body = f"20231{next(_serials):07d}"
        writer.writerow(
            [f"CN{body}.{check_char(body)}", "一种压测用稀土永磁材料", "包头示例稀土新材料有限公司",
             "本发明公开了一种钕铁硼永磁材料的制备方法。", "2023-05-06", "H01F 1/057"]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")
