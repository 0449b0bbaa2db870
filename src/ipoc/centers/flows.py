"""The state machines of a recognised center's life (Arts. 10, 11, 18): the center itself, its yearly
self-evaluation and a rectification. Who may take a step is decided in ``service``; this module only knows
which steps exist, from which states, and leaves every change with its reason in the audit trail.

Center: recognized ⇄ rectifying → revoked; recognized/rectifying → cycle_ended once the period has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ipoc.audit import service as audit
from ipoc.centers.models import ACTIVE_STATUSES
from ipoc.errors import Conflict


@dataclass(frozen=True)
class Step:
    label: str
    sources: frozenset[str]
    target: str


def _s(label: str, sources: set[str] | frozenset[str], target: str) -> Step:
    return Step(label, frozenset(sources), target)


CENTER_STEPS = {
    "order_rectification": _s("责令限期整改", {"recognized"}, "rectifying"),
    "pass_rectification": _s("整改合格，恢复建设期", {"rectifying"}, "recognized"),
    "revoke": _s("取消资格", ACTIVE_STATUSES, "revoked"),
    "end_cycle": _s("建设期届满", ACTIVE_STATUSES, "cycle_ended"),
}

SELF_EVALUATION_STEPS = {
    "submit": _s("报送自我评价", {"draft", "returned"}, "submitted"),
    "approve": _s("审核通过", {"submitted"}, "audited"),
    "return": _s("退回修改", {"submitted"}, "returned"),
}

RECTIFICATION_STEPS = {
    "report": _s("提交整改报告", {"open"}, "reported"),
    "pass": _s("整改合格", {"reported"}, "passed"),
    # An open rectification may be failed only once its deadline passed with no report (service checks).
    "fail": _s("整改不合格", {"open", "reported"}, "failed"),
}


def check(record: Any, steps: dict[str, Step], action: str) -> Step:
    """The step, if ``record`` (a model with ``status`` and ``status_label``) is in a state it leaves from."""
    step = steps[action]
    if record.status not in step.sources:
        raise Conflict(f"当前为“{record.status_label}”状态，不能“{step.label}”")
    return step


def take(session: Session, record: Any, steps: dict[str, Step], action: str, reason: str = "", **fields: Any) -> None:
    """Move ``record`` along ``steps[action]``, setting ``fields`` with it.

    A wrong state is a 409 and changes nothing; the change is flushed at once with its reason, so that a
    following step's reason does not overwrite this one in the audit trail.
    """
    step = check(record, steps, action)
    audit.set_reason(session, reason.strip() or step.label, action=action)
    for name, value in fields.items():
        setattr(record, name, value)
    record.status = step.target
    session.flush()
