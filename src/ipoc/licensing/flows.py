"""Open licensing as explicit tables (专利法 50–52). A declaration is drafted and submitted by the patentee
(or staff acting for it), announced once the staff record CNIPA's announcement, and withdrawn with a reason
before or after it is announced; a licence taken by written notice is effective at once and recorded once the
patentee or the licensee has filed it with CNIPA (细则87). The legal bars, dates and numbers are the service's."""

from __future__ import annotations

from ipoc.licensing.models import DECLARATION_STATES, LICENCE_STATES, DeclarationState, LicenceState
from ipoc.workflow import Machine, Transition

UNDECIDED = frozenset({DeclarationState.DRAFT, DeclarationState.SUBMITTED})  # the bars still matter
PUBLIC = frozenset({DeclarationState.ANNOUNCED, DeclarationState.WITHDRAWN})  # seen by everyone

DECLARATIONS = Machine(
    name="open_licence_declarations",
    title="开放许可声明",
    states=DeclarationState,
    labels=DECLARATION_STATES,
    owners={
        "patentee": "专利权人（或代为办理的运营中心、自治区局工作人员）",
        "staff": "自治区局管理员或运营中心工作人员",
    },
    transitions=(
        Transition("submit", "提交开放许可声明", {DeclarationState.DRAFT}, DeclarationState.SUBMITTED, "patentee"),
        Transition(
            "announce",
            "登记国家知识产权局公告",
            {DeclarationState.SUBMITTED},
            DeclarationState.ANNOUNCED,
            "staff",
            date_field="announced_on",
            requires=("announcement_no",),
        ),
        Transition(
            "withdraw",
            "撤回开放许可声明",
            {DeclarationState.SUBMITTED, DeclarationState.ANNOUNCED},
            DeclarationState.WITHDRAWN,
            "patentee",
            needs_reason=True,
            date_field="withdrawn_on",
        ),
    ),
    initial=DeclarationState.DRAFT,
    terminal=frozenset({DeclarationState.WITHDRAWN}),
    wrong_state="声明当前为“{state}”，不能{action}",
)

LICENCES = Machine(
    name="open_licences",
    title="开放许可实施",
    states=LicenceState,
    labels=LICENCE_STATES,
    owners={"parties": "专利权人或被许可人"},
    transitions=(
        Transition(
            "record",
            "登记开放许可备案",
            {LicenceState.EFFECTIVE},
            LicenceState.RECORDED,
            "parties",
            date_field="recorded_on",
            requires=("recordal_no",),
        ),
    ),
    initial=LicenceState.EFFECTIVE,
    terminal=frozenset({LicenceState.RECORDED}),
    wrong_state="该许可当前为“{state}”，不能{action}",
)
