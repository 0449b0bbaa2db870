"""Password hashing (argon2id) and the password rule."""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ipoc.config import get_settings
from ipoc.errors import InvalidInput

MIN_LENGTH = 10
DEMO_PASSWORD = "ipocDemo2026"  # of every demo login, printed by `make demo`: known to everyone who saw it


@cache
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The hasher for these costs, and a dummy hash to verify against when the user does not exist,
    so that a login for an unknown name takes as long as one for a known name."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher, hasher.hash("ipoc-timing-equaliser")


def _current() -> tuple[PasswordHasher, str]:
    settings = get_settings()
    return _hasher(
        settings.password_hash_time_cost, settings.password_hash_memory_kib, settings.password_hash_parallelism
    )


def hash_password(password: str) -> str:
    return _current()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Hashes carry their own parameters, so changing the cost settings keeps old passwords valid."""
    hasher, dummy = _current()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of leaked password dumps, bundled with zxcvbn (nothing is fetched)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


# The rules as shown next to every new-password field before anything is typed.
PASSWORD_RULES = (
    f"至少 {MIN_LENGTH} 个字符",
    "同时包含字母和数字",
    "不能包含用户名",
    "不能是常见或已泄露的密码",
    "不能是演示环境公开的初始密码",
)


def password_problems(password: str, *, username: str = "", initial: bool = False) -> list[str]:
    """Every rule a new password breaks, in Chinese, so a form can name them all at once.

    An ``initial`` password, which must be changed at first login, may be the demo password: that is how the
    demo accounts are made. A password the user chooses never may."""
    lowered = password.lower()
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 个字符")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        problems.append("密码须同时包含字母和数字")
    if username and username.lower() in lowered:
        problems.append("密码不能包含用户名")
    if not initial and lowered == DEMO_PASSWORD.lower():
        problems.append("不能使用演示环境公开的初始密码")
    if lowered in common_passwords():
        problems.append("该密码属于常见或已泄露的密码，容易被猜中，请换一个")
    return problems


def check_password_rule(password: str, *, username: str = "", field: str = "password", initial: bool = False) -> None:
    """Refuse a weak new password with a message that names every rule it breaks (on ``field`` of the form)."""
    problems = password_problems(password, username=username, initial=initial)
    if problems:
        raise InvalidInput("；".join(problems), field=field)
