"""The statutory numbers of benefit sharing and the calculator: pure functions, no database.

Money is integer yuan; every share is rounded half up to the whole yuan (617,283.5 → 617,284), per year
for profits, so the total is the sum of what is actually paid each year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from ipoc import clock
from ipoc.money import round_yuan, wan

Mode = Literal["transfer_licence", "equity", "profit"]
PatentKind = Literal["invention", "utility_model", "design"]

MODES: dict[str, str] = {
    "transfer_licence": "转让/许可净收入",
    "equity": "作价投资所得股份或出资比例",
    "profit": "实施转化营业利润",
}
PATENT_KINDS: dict[str, str] = {"invention": "发明专利", "utility_model": "实用新型专利", "design": "外观设计专利"}
STATE_ORG_TYPES = ("university", "research_institute")  # 国家设立的研究开发机构、高等院校 when flagged so
ROUNDING_NOTE = "金额以元为单位，按四舍五入（0.5 元进 1 元）取整到元；利润分成逐年取整后相加。"
GRANT_REWARD_MONTHS = 3

LAW_45 = "《促进科技成果转化法》第45条"
LAW_RULES_93 = "《专利法实施细则》（2023年修订）第93条"


@dataclass(frozen=True)
class Statute:
    key: str
    label: str
    value: Decimal | int
    unit: str
    source: str


# The one table of statutory numbers; pages and the API show it as it is.
STATUTE: dict[str, Statute] = {
    s.key: s
    for s in (
        Statute("transfer_licence_pct", "转让/许可净收入奖励比例下限", Decimal(50), "%", f"{LAW_45}第1款第1项"),
        Statute("equity_pct", "作价投资股份或出资比例奖励下限", Decimal(50), "%", f"{LAW_45}第1款第2项"),
        Statute("profit_pct", "实施转化营业利润奖励比例下限", Decimal(5), "%", f"{LAW_45}第1款第3项"),
        Statute("profit_years_min", "利润奖励连续年限下限", 3, "年", f"{LAW_45}第1款第3项"),
        Statute("profit_years_max", "利润奖励连续年限上限", 5, "年", f"{LAW_45}第1款第3项"),
        Statute("invention_reward_yuan", "发明专利授权奖金下限", 4000, "元", LAW_RULES_93),
        Statute("utility_design_reward_yuan", "实用新型/外观设计专利授权奖金下限", 1500, "元", LAW_RULES_93),
        Statute(
            "grant_reward_months", "授权奖金发放期限（自授权公告之日起）", GRANT_REWARD_MONTHS, "个月", LAW_RULES_93
        ),
    )
}


def statute(key: str) -> Decimal | int:
    return STATUTE[key].value


class Terms(Protocol):
    """What the calculator reads of a policy (a saved BenefitPolicy or the frozen statutory default)."""

    @property
    def transfer_licence_pct(self) -> Decimal: ...
    @property
    def equity_pct(self) -> Decimal: ...
    @property
    def profit_pct(self) -> Decimal: ...
    @property
    def profit_years(self) -> int: ...
    @property
    def invention_reward_yuan(self) -> int: ...
    @property
    def utility_design_reward_yuan(self) -> int: ...


@dataclass(frozen=True)
class StatutoryTerms:
    """The default that applies where nothing was agreed or ruled (第45条第1款, 细则第93条)."""

    transfer_licence_pct: Decimal
    equity_pct: Decimal
    profit_pct: Decimal
    profit_years: int
    invention_reward_yuan: int
    utility_design_reward_yuan: int


STATUTORY = StatutoryTerms(
    transfer_licence_pct=Decimal(statute("transfer_licence_pct")),
    equity_pct=Decimal(statute("equity_pct")),
    profit_pct=Decimal(statute("profit_pct")),
    profit_years=int(statute("profit_years_min")),
    invention_reward_yuan=int(statute("invention_reward_yuan")),
    utility_design_reward_yuan=int(statute("utility_design_reward_yuan")),
)


@dataclass(frozen=True)
class Share:
    mode: str
    base_yuan: int
    pct: Decimal
    years: int
    per_year_yuan: list[int]
    share_yuan: int

    @property
    def mode_label(self) -> str:
        return MODES[self.mode]

    @property
    def share_wan(self) -> str:
        return wan(self.share_yuan)


@dataclass(frozen=True)
class GrantReward:
    kind: str
    announced_on: date
    due_on: date
    amount_yuan: int

    @property
    def kind_label(self) -> str:
        return PATENT_KINDS[self.kind]


def _pct_of(amount_yuan: int, pct: Decimal) -> int:
    return round_yuan(Decimal(amount_yuan) * Decimal(pct) / 100)


def calculate(policy: Terms, mode: Mode, amount_yuan: int, years: int | None = None) -> Share:
    """The key contributors' share: of a net transfer/licence income, of an equity amount, or of a yearly
    operating profit for ``years`` years (default: the policy's number of years)."""
    if amount_yuan < 0:
        raise ValueError("amount must not be negative")
    if mode == "transfer_licence":
        share = _pct_of(amount_yuan, policy.transfer_licence_pct)
        return Share(mode, amount_yuan, Decimal(policy.transfer_licence_pct), 1, [share], share)
    if mode == "equity":
        share = _pct_of(amount_yuan, policy.equity_pct)
        return Share(mode, amount_yuan, Decimal(policy.equity_pct), 1, [share], share)
    if mode == "profit":
        n = policy.profit_years if years is None else years
        if n < 1:
            raise ValueError("years must be at least 1")
        per_year = [_pct_of(amount_yuan, policy.profit_pct)] * n
        return Share(mode, amount_yuan, Decimal(policy.profit_pct), n, per_year, sum(per_year))
    raise ValueError(f"unknown mode {mode!r}")


def grant_reward(policy: Terms, kind: PatentKind, announced_on: date) -> GrantReward:
    """The reward on grant and its due date: within 3 months of the grant announcement."""
    amount = policy.invention_reward_yuan if kind == "invention" else policy.utility_design_reward_yuan
    return GrantReward(kind, announced_on, clock.add_months(announced_on, GRANT_REWARD_MONTHS), amount)
