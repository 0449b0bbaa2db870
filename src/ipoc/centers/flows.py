"""The state machines of a recognised center's life (Arts. 10, 11, 18): the center itself, its yearly
self-evaluation and a rectification. Who may take a step is decided in ``service``; this module only knows
which steps exist, from which states, and leaves every change with its reason in the audit trail.

Center: recognized ⇄ rectifying → revoked; recognized/rectifying → cycle_ended once the period has passed.
"""

from __future__ import annotations

from ipoc.centers.models import (
    ACTIVE_STATUSES,
    CENTER_STATUS,
    RECTIFICATION_STATUS,
    SELF_EVAL_STATUS,
    CenterState,
    RectificationState,
    SelfEvaluationState,
)
from ipoc.workflow import Machine, Transition

C, E, R = CenterState, SelfEvaluationState, RectificationState
REGION, CENTER, AUDITOR, SYSTEM = "region", "center", "auditor", "system"

CENTER_STEPS = Machine(
    name="centers",
    title="运营中心",
    states=CenterState,
    labels=CENTER_STATUS,
    owners={REGION: "自治区局", SYSTEM: "平台（建设期届满时）"},
    transitions=(
        Transition("order_rectification", "责令限期整改", {C.RECOGNIZED}, C.RECTIFYING, REGION),
        Transition("pass_rectification", "整改合格，恢复建设期", {C.RECTIFYING}, C.RECOGNIZED, REGION),
        Transition("revoke", "取消资格", ACTIVE_STATUSES, C.REVOKED, REGION),
        Transition("end_cycle", "建设期届满", ACTIVE_STATUSES, C.CYCLE_ENDED, SYSTEM),
    ),
    initial=C.RECOGNIZED,
    terminal=frozenset({C.REVOKED, C.CYCLE_ENDED}),
)

SELF_EVALUATION_STEPS = Machine(
    name="self_evaluations",
    title="年度自我评价",
    states=SelfEvaluationState,
    labels=SELF_EVAL_STATUS,
    owners={CENTER: "运营中心工作人员", AUDITOR: "中心所在盟市局（直接申报的：自治区局）"},
    transitions=(
        Transition("submit", "报送自我评价", {E.DRAFT, E.RETURNED}, E.SUBMITTED, CENTER),
        Transition("approve", "审核通过", {E.SUBMITTED}, E.AUDITED, AUDITOR),
        Transition("return", "退回修改", {E.SUBMITTED}, E.RETURNED, AUDITOR, needs_reason=True),
    ),
    initial=E.DRAFT,
    terminal=frozenset({E.AUDITED}),
)

RECTIFICATION_STEPS = Machine(
    name="rectifications",
    title="整改",
    states=RectificationState,
    labels=RECTIFICATION_STATUS,
    owners={CENTER: "运营中心工作人员", REGION: "自治区局"},
    transitions=(
        Transition("report", "提交整改报告", {R.OPEN}, R.REPORTED, CENTER),
        Transition("pass", "整改合格", {R.REPORTED}, R.PASSED, REGION),
        # An open rectification may be failed only once its deadline passed with no report (service checks).
        Transition("fail", "整改不合格", {R.OPEN, R.REPORTED}, R.FAILED, REGION),
    ),
    initial=R.OPEN,
    terminal=frozenset({R.PASSED, R.FAILED}),
)
