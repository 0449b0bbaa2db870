"""The recognition workflow (Arts. 6–7) as an explicit state machine, with domain-rules §0's state names.

Each transition names the one role that owns it. ``owners_for`` says which of those roles a principal
holds *for a given dossier*: an officer is the bureau of a dossier only inside their own area and only on
the ordinary route; on the direct route their bureau holds a filing copy it may read but not decide on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ipoc.applications.models import STATE_LABELS, ApplicationEvent, ApplicationState
from ipoc.auth.roles import Principal, Role
from ipoc.workflow import Machine, Step, Transition

S = ApplicationState
TERMINAL = frozenset({S.NOT_RECOMMENDED, S.RECOGNIZED, S.REJECTED, S.WITHDRAWN})
# States in which the applicant may still withdraw: anything before the list is published.
WITHDRAWABLE = frozenset(
    {S.SUBMITTED, S.PREFECTURE_REVIEW, S.RECOMMENDED, S.REGION_RECHECK, S.EXPERT_REVIEW, S.SHORTLISTED, S.RETURNED}
)

OWNER_LABELS = {"applicant": "申报单位", "bureau": "盟市局", "region": "自治区局", "public": "社会公众"}
VIA_BUREAU, DIRECT = "via_bureau", "direct"


TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", "提交申报", {S.DRAFT}, S.SUBMITTED, "applicant"),
    Transition("resubmit", "补正后重新提交", {S.RETURNED}, None, "applicant"),
    Transition("withdraw", "撤回申报", WITHDRAWABLE, S.WITHDRAWN, "applicant"),
    Transition("accept", "受理并审核资格", {S.SUBMITTED}, S.PREFECTURE_REVIEW, "bureau", route=VIA_BUREAU),
    Transition(
        "return",
        "退回补正",
        {S.SUBMITTED, S.PREFECTURE_REVIEW},
        S.RETURNED,
        "bureau",
        needs_reason=True,
        route=VIA_BUREAU,
    ),
    Transition("recommend", "择优推荐", {S.PREFECTURE_REVIEW}, S.RECOMMENDED, "bureau"),
    Transition("not_recommend", "不予推荐", {S.PREFECTURE_REVIEW}, S.NOT_RECOMMENDED, "bureau", needs_reason=True),
    Transition("accept_direct", "受理直报并复核", {S.SUBMITTED}, S.REGION_RECHECK, "region", route=DIRECT),
    Transition("start_recheck", "开始复核", {S.RECOMMENDED}, S.REGION_RECHECK, "region"),
    Transition("return_recheck", "退回补正", {S.REGION_RECHECK}, S.RETURNED, "region", needs_reason=True),
    Transition("return_direct", "退回补正", {S.SUBMITTED}, S.RETURNED, "region", needs_reason=True, route=DIRECT),
    Transition("pass_recheck", "复核通过，提交专家评审", {S.REGION_RECHECK}, S.EXPERT_REVIEW, "region"),
    Transition("reject_recheck", "复核不通过", {S.REGION_RECHECK}, S.REJECTED, "region", needs_reason=True),
    Transition("shortlist", "列入拟认定名单", {S.EXPERT_REVIEW}, S.SHORTLISTED, "region"),
    Transition("reject_review", "评审未通过", {S.EXPERT_REVIEW}, S.REJECTED, "region", needs_reason=True),
    Transition("publish", "发布公示", {S.SHORTLISTED}, S.PUBLIC_NOTICE, "region"),
    Transition("object", "提出异议", {S.PUBLIC_NOTICE}, S.OBJECTION_HANDLING, "public", needs_reason=True),
    Transition("recognize", "正式认定", {S.PUBLIC_NOTICE, S.OBJECTION_HANDLING}, S.RECOGNIZED, "region"),
    Transition(
        "reject_objection", "异议成立，不予认定", {S.OBJECTION_HANDLING}, S.REJECTED, "region", needs_reason=True
    ),
)


def write_event(
    session: Session, app: Any, principal: Principal, action: str, source: str, target: str, reason: str = ""
) -> None:
    """One row of the dossier's timeline, shown to the applicant (its creation, then every step)."""
    session.add(
        ApplicationEvent(
            application_id=app.id,
            action=action,
            from_state=source,
            to_state=target,
            reason=reason,
            actor_id=principal.user_id,
            actor_label=principal.label if principal.is_authenticated else "社会公众",
        )
    )


def _record(session: Session, app: Any, step: Step) -> None:
    write_event(session, app, step.actor, step.transition.action, step.source, step.target, step.reason)


APPLICATIONS = Machine(
    name="applications",
    title="运营中心认定申报",
    states=ApplicationState,
    labels=STATE_LABELS,
    owners=OWNER_LABELS,
    transitions=TRANSITIONS,
    initial=S.DRAFT,
    terminal=TERMINAL,
    wrong_state="申报当前为“{state}”状态，不能“{action}”",
    returned=S.RETURNED,
    resume_fallback=S.SUBMITTED,
    record_step=_record,
)
BY_ACTION = APPLICATIONS.by_action
# Actions other services take as part of a larger step (deciding on a closed expert review, publishing a
# notice, filing an objection, recognising with a generated center); the generic endpoint refuses them.
COMPOUND_ACTIONS = frozenset({"publish", "object", "recognize", "shortlist", "reject_review"})


def owners_for(principal: Principal, *, org_id: int, region_id: int, route: str) -> set[str]:
    """The workflow roles ``principal`` holds for one dossier."""
    owners = {"public"}
    if principal.role is Role.MEMBER and principal.org_id == org_id:
        owners.add("applicant")
    if principal.role is Role.BUREAU_OFFICER and region_id in principal.region_ids and route == VIA_BUREAU:
        owners.add("bureau")
    if principal.role is Role.REGION_ADMIN:
        owners.add("region")
    return owners
