"""The small patent-list CSV that the import tests write (the seven columns of a CNIPA export), and the CLI import
that reads it: what the import, search, export, audit and fault tests share."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from ipoc.cli import app as cli
from tests.factories import number

HEADER = ["申请号", "发明名称", "申请人", "摘要", "申请日", "主分类号", "申请人地址"]


def good_row(serial: int, title: str = "一种稀土永磁材料的制备方法", **extra: str) -> dict[str, str]:
    row = {
        "申请号": "CN" + number(serial),
        "发明名称": title,
        "申请人": "包头稀土研究院；内蒙古大学",
        "摘要": "本发明公开了一种钕铁硼永磁材料，矫顽力高。",
        "申请日": "2021-03-05",
        "主分类号": "H01F 1/057",
        "申请人地址": "内蒙古自治区包头市昆都仑区",
    }
    return row | extra


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_import(path: Path, *args: str):
    result = CliRunner().invoke(cli, ["patents", "import", str(path), "--json", *args])
    return result


def counts(result) -> dict[str, int]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def report_rows(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith("\ufeff".encode()), "a BOM, so that Excel on Chinese Windows reads UTF-8"
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


# one patent per industry, as (title, abstract): what the search tests look for
CORPUS = [
    ("一种稀土永磁材料的制备方法", "本发明公开了一种钕铁硼永磁材料的烧结工艺，提高矫顽力和剩磁。"),
    ("风力发电机组叶片除冰装置", "利用电加热膜对风电叶片表面进行加热，防止叶片结冰，提高发电效率。"),
    ("一种高蛋白奶酪及其生产工艺", "以牛乳为原料，经发酵、凝乳和成熟制得高蛋白奶酪，口感细腻。"),
    ("电解水制氢用催化电极", "一种镍基催化电极，降低碱性电解水制氢的过电位，提高产氢效率。"),
    ("羊绒纤维的分梳方法", "对山羊绒原料进行开松和分梳，去除粗毛，提高羊绒纤维的长度和洁净度。"),
    ("光伏组件清洁机器人", "一种沿光伏板阵列行走的清洁机器人，用毛刷和风机清除积灰。"),
]
