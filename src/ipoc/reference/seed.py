"""Reference data every instance starts with (loaded by migration; see domain-rules §10)."""

from __future__ import annotations

# (code, name, kind, parent code)
REGIONS: list[tuple[str, str, str, str | None]] = [
    ("150100", "呼和浩特市", "city", None),
    ("150200", "包头市", "city", None),
    ("150300", "乌海市", "city", None),
    ("150400", "赤峰市", "city", None),
    ("150500", "通辽市", "city", None),
    ("150600", "鄂尔多斯市", "city", None),
    ("150700", "呼伦贝尔市", "city", None),
    ("150800", "巴彦淖尔市", "city", None),
    ("150900", "乌兰察布市", "city", None),
    ("152200", "兴安盟", "league", None),
    ("152500", "锡林郭勒盟", "league", None),
    ("152900", "阿拉善盟", "league", None),
    ("150781", "满洲里市", "separately_addressed_city", "150700"),
    ("152501", "二连浩特市", "separately_addressed_city", "152500"),
]

_SRC_ADV = "自治区工业和信息化厅：优势特色产业领域（2025/2026 年公开报道）"
_SRC_CLUSTER = "自治区先进制造业集群建设行动方案（2024）及 2025 年新认定自治区级集群"
_SRC_PLAN = "自治区“十四五”工业和信息化发展规划（新能源装备、稀土、光伏材料等）"
_SRC_AGRI = "自治区重点产业链（乳业、种业等现代农牧业）公开文件"

# (name, naming term used in the center's name, category, source)
INDUSTRIES: list[tuple[str, str, str, str]] = [
    ("新能源（风光氢储）", "新能源", "重点", _SRC_PLAN),
    ("稀土新材料", "稀土新材料", "重点", _SRC_CLUSTER),
    ("现代煤化工", "现代煤化工", "优势特色", _SRC_ADV),
    ("精细化工", "精细化工", "优势特色", _SRC_ADV),
    ("铝基及合金新材料", "铝基新材料", "重点", _SRC_CLUSTER),
    ("风电装备", "风电装备", "重点", _SRC_CLUSTER),
    ("高端装备制造", "高端装备", "优势特色", _SRC_ADV),
    ("生物医药及生物制造", "生物医药", "优势特色", _SRC_ADV),
    ("乳业及食品加工", "乳业", "优势特色", _SRC_ADV),
    ("绒毛纺织", "绒毛纺织", "优势特色", _SRC_ADV),
    ("数字经济及数据中心", "数字经济", "重点", _SRC_CLUSTER),
    ("现代农牧业（种业）", "种业", "重点", _SRC_AGRI),
]

ORG_TYPES: list[tuple[str, str]] = [
    ("enterprise", "企业"),
    ("university", "高等院校"),
    ("research_institute", "科研院所"),
    ("industry_association", "行业协会"),
    ("industrial_park", "产业园区"),
    ("service_agency", "知识产权服务机构"),
    ("finance", "银行/基金"),
    ("government", "政府机关"),
    ("individual", "个人"),
]
