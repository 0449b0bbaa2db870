"""The fuller patent-list CSV the web pages are tested on (the fifteen columns of a CNIPA export with legal status,
claims, licences and pledges), and a five-patent corpus with a hostile title and a spreadsheet formula in it."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.factories import number

HEADER = [
    "申请号",
    "发明名称",
    "摘要",
    "申请人",
    "申请人地址",
    "申请日",
    "主分类号",
    "分类号",
    "法律状态",
    "权利要求",
    "许可日期",
    "许可类型",
    "被许可人",
    "质押日期",
    "质权人",
]
HOSTILE = "<script>alert(1)</script>稀土抛光粉的回收方法"
FORMULA = '=HYPERLINK("http://evil.example","稀土点击")'


def row(serial: int, title: str, *, kind: int = 1, **extra: str) -> dict[str, str]:
    return {
        "申请号": "CN" + number(serial, kind=kind).replace(".", ""),
        "发明名称": title,
        "摘要": "本发明涉及稀土功能材料领域。",
        "申请人": "包头稀土研究院",
        "申请人地址": "内蒙古自治区包头市昆都仑区",
        "申请日": "2021-03-05",
        "主分类号": "H01F 1/057",
    } | extra


CORPUS = [
    row(
        1,
        "一种稀土永磁材料的制备方法",
        摘要="钕铁硼稀土永磁材料的烧结工艺，提高矫顽力。",
        分类号="H01F 1/057; Z99Q 1/00",
        法律状态="有效",
        权利要求="1. 一种稀土永磁材料的制备方法，其特征在于烧结。\n2. 根据权利要求1所述的方法，其特征在于回火。",
        许可日期="2022-05-01",
        许可类型="独占许可",
        被许可人="包头永磁科技有限公司",
        质押日期="2023-01-10",
        质权人="中国银行包头分行",
    ),
    row(2, "风力发电机组叶片除冰装置", 摘要="电加热膜防止风电叶片结冰。", 主分类号="F03D 80/40", 申请人="内蒙古大学"),
    row(3, "一种稀土抛光粉", kind=2, 申请日="2019-07-01", 法律状态="失效"),
    row(4, HOSTILE, kind=2),
    row(5, FORMULA, 申请人="=SUM(A1:A9)*10"),
]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path
