"""The recognition workflow (Arts. 6–7) as an explicit state machine, with domain-rules §0's state names.

Each transition names the one role that owns it. ``owners_for`` says which of those roles a principal
holds *for a given dossier*: an officer is the bureau of a dossier only inside their own area and only on
the ordinary route; on the direct route their bureau holds a filing copy it may read but not decide on.
"""

from __future__ import annotations

from dataclasses import dataclass

from ipoc.auth.roles import Principal, Role

STATE_LABELS = {
    "draft": "草稿",
    "submitted": "已提交",
    "prefecture_review": "盟市局资格审核",
    "recommended": "盟市局已推荐",
    "not_recommended": "盟市局不予推荐",
    "region_recheck": "自治区局复核",
    "expert_review": "专家评审",
    "shortlisted": "拟认定名单",
    "public_notice": "公示中",
    "objection_handling": "异议处理",
    "recognized": "已认定",
    "rejected": "不予认定",
    "returned": "退回补正",
    "withdrawn": "已撤回",
}
TERMINAL = frozenset({"not_recommended", "recognized", "rejected", "withdrawn"})
# States in which the applicant may still withdraw: anything before the list is published.
WITHDRAWABLE = frozenset(
    {"submitted", "prefecture_review", "recommended", "region_recheck", "expert_review", "shortlisted", "returned"}
)

OWNER_LABELS = {"applicant": "申报单位", "bureau": "盟市局", "region": "自治区局", "public": "社会公众"}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: back to the state the dossier was returned from
    owner: str  # applicant | bureau | region | public
    reason_required: bool = False
    route: str | None = None  # only dossiers on this route take it


def _t(action, label, sources, target, owner, *, reason=False, route=None) -> Transition:
    return Transition(action, label, frozenset(sources), target, owner, reason, route)


TRANSITIONS: tuple[Transition, ...] = (
    _t("submit", "提交申报", {"draft"}, "submitted", "applicant"),
    _t("resubmit", "补正后重新提交", {"returned"}, None, "applicant"),
    _t("withdraw", "撤回申报", WITHDRAWABLE, "withdrawn", "applicant"),
    _t("accept", "受理并审核资格", {"submitted"}, "prefecture_review", "bureau", route="via_bureau"),
    _t("return", "退回补正", {"submitted", "prefecture_review"}, "returned", "bureau", reason=True, route="via_bureau"),
    _t("recommend", "择优推荐", {"prefecture_review"}, "recommended", "bureau"),
    _t("not_recommend", "不予推荐", {"prefecture_review"}, "not_recommended", "bureau", reason=True),
    _t("accept_direct", "受理直报并复核", {"submitted"}, "region_recheck", "region", route="direct"),
    _t("start_recheck", "开始复核", {"recommended"}, "region_recheck", "region"),
    _t("return_recheck", "退回补正", {"region_recheck"}, "returned", "region", reason=True),
    _t("return_direct", "退回补正", {"submitted"}, "returned", "region", reason=True, route="direct"),
    _t("pass_recheck", "复核通过，提交专家评审", {"region_recheck"}, "expert_review", "region"),
    _t("reject_recheck", "复核不通过", {"region_recheck"}, "rejected", "region", reason=True),
    _t("shortlist", "列入拟认定名单", {"expert_review"}, "shortlisted", "region"),
    _t("reject_review", "评审未通过", {"expert_review"}, "rejected", "region", reason=True),
    _t("publish", "发布公示", {"shortlisted"}, "public_notice", "region"),
    _t("object", "提出异议", {"public_notice"}, "objection_handling", "public", reason=True),
    _t("recognize", "正式认定", {"public_notice", "objection_handling"}, "recognized", "region"),
    _t("reject_objection", "异议成立，不予认定", {"objection_handling"}, "rejected", "region", reason=True),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
# Actions other services take as part of a larger step (deciding on a closed expert review, publishing a
# notice, filing an objection, recognising with a generated center); the generic endpoint refuses them.
COMPOUND_ACTIONS = frozenset({"publish", "object", "recognize", "shortlist", "reject_review"})


def owners_for(principal: Principal, *, org_id: int, region_id: int, route: str) -> set[str]:
    """The workflow roles ``principal`` holds for one dossier."""
    owners = {"public"}
    if principal.role is Role.MEMBER and principal.org_id == org_id:
        owners.add("applicant")
    if principal.role is Role.BUREAU_OFFICER and region_id in principal.region_ids and route == "via_bureau":
        owners.add("bureau")
    if principal.role is Role.REGION_ADMIN:
        owners.add("region")
    return owners


def applies(t: Transition, state: str, route: str) -> bool:
    """Whether ``t`` can be taken from ``state`` by a dossier on ``route`` (role aside)."""
    if state not in t.sources:
        return False
    return t.route is None or t.route == route


def available(state: str, route: str, owners: set[str]) -> list[Transition]:
    """Transitions a caller holding ``owners`` may take now, in table order."""
    return [t for t in TRANSITIONS if t.owner in owners and applies(t, state, route)]


def target_of(t: Transition, returned_from: str | None) -> str:
    return t.target if t.target is not None else (returned_from or "submitted")
