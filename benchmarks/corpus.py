"""Scale corpora for the benchmarks: the 4,097 real CCF 2022 patents replicated and perturbed into a CSV export.

The real records carry only title, assignee and abstract, so every synthetic row gets a generated *valid* 12-digit
application number (its serial encodes the row, see `source_of`), and applicant, address (a share in Inner
Mongolia's leagues and cities), dates, IPC codes and legal status drawn at random; title and abstract keep the real
text with a few words dropped or swapped. Rows are written one at a time: a million never sit in memory.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import rjieba

from ipoc.patents.numbers import check_char

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CCF_PATENTS = SHARED_DATA / "cn-patents-ccf2022" / "patents.jsonl"
TECH_NEEDS = SHARED_DATA / "cn-tech-needs-ccf2019" / "needs.csv"
HEADERS = ["申请号", "发明名称", "申请人", "摘要", "申请日", "公开日", "主分类号", "分类号", "法律状态", "申请人地址"]
NOTE = "replicated and perturbed from 4,097 real CCF patents"
MAX_SERIAL = 9_999_999

# One main-group code per CCF technology class (36), a few of them in the region's industries.
IPC_POOL = [
    "H04L 5/00", "H04W 72/04", "G06F 16/35", "G06N 3/08", "G06T 7/00", "G06Q 50/06", "H01M 10/052", "H01M 4/36",
    "H01L 31/18", "H02J 3/38", "H02K 21/14", "F03D 80/40", "C01B 3/02", "C25B 1/04", "C22C 38/00", "H01F 1/057",
    "C22B 59/00", "C10J 3/00", "C07C 1/20", "C08L 23/06", "B01D 53/14", "C02F 9/00", "A23C 9/13", "A61K 36/00",
    "A01G 22/00", "A01K 67/02", "B60L 53/00", "B62D 65/00", "F16H 57/04", "G01N 33/00", "G01R 31/00", "B23K 26/00",
    "E21B 43/00", "D01G 15/00", "B33Y 10/00", "C04B 28/00",
]  # fmt: skip
IPC_EXTRA = ["G05B 19/418", "G01D 21/02", "H05K 7/20", "B01J 23/00", "C09D 5/08", "F24S 20/00", "H02S 40/00"]
STATUSES = ["有效", "有效", "授权", "实质审查", "公开", "审中", "驳回", "未缴年费", "专利权终止", "撤回"]
OTHER_ADDRESSES = [
    "北京市海淀区中关村大街{n}号", "上海市浦东新区张江路{n}号", "广东省深圳市南山区科技园{n}号",
    "江苏省南京市玄武区中山路{n}号", "浙江省杭州市西湖区文三路{n}号", "山东省济南市历下区经十路{n}号",
    "湖北省武汉市洪山区珞喻路{n}号", "四川省成都市高新区天府大道{n}号", "陕西省西安市雁塔区科技路{n}号",
    "辽宁省沈阳市浑南区创新路{n}号", "河北省石家庄市裕华区槐安路{n}号", "天津市滨海新区海泰路{n}号",
]  # fmt: skip
IM_ADDRESSES = [
    "内蒙古自治区呼和浩特市赛罕区大学西街{n}号", "内蒙古自治区包头市昆都仑区钢铁大街{n}号",
    "内蒙古乌海市海勃湾区新华大街{n}号", "内蒙古自治区赤峰市红山区玉龙大街{n}号",
    "内蒙古自治区通辽市科尔沁区霍林河大街{n}号", "内蒙古鄂尔多斯市康巴什区{n}号",
    "内蒙古自治区呼伦贝尔市海拉尔区胜利大街{n}号", "内蒙古自治区巴彦淖尔市临河区{n}号",
    "内蒙古自治区乌兰察布市集宁区{n}号", "内蒙古自治区兴安盟乌兰浩特市{n}号", "内蒙古自治区锡林郭勒盟锡林浩特市{n}号",
    "内蒙古自治区阿拉善盟阿拉善左旗{n}号", "内蒙古自治区满洲里市{n}号", "内蒙古自治区二连浩特市{n}号",
]  # fmt: skip
IM_APPLICANTS = [
    "内蒙古大学", "内蒙古工业大学", "内蒙古科技大学", "包头稀土研究院", "内蒙古包钢钢联股份有限公司",
    "鄂尔多斯市能源科技有限公司", "内蒙古伊利实业集团股份有限公司", "内蒙古蒙牛乳业（集团）股份有限公司",
    "内蒙古电力（集团）有限责任公司", "乌海市化工有限公司",
]  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


@dataclass(slots=True)
class Source:
    """One real record, pre-segmented once so that perturbing a million copies needs no segmenter."""

    title: list[str]
    abstract: list[str]
    assignee: str
    label: int


def shared_data_missing() -> str | None:
    """Why the corpus cannot be built here, or None."""
    if not CCF_PATENTS.is_file():
        return f"real data not found at {CCF_PATENTS} (../shared/data is absent in a fresh clone): skipped"
    return None


def load_ccf(path: Path = CCF_PATENTS) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_sources(records: list[dict]) -> list[Source]:
    return [
        Source(
            title=rjieba.cut(rec["title"]) or [rec["title"]],
            abstract=rjieba.cut(rec.get("abstract") or ""),
            assignee=rec.get("assignee") or "",
            label=int(rec.get("label_id") or 0),
        )
        for rec in records
    ]


def need_titles(path: Path = TECH_NEEDS) -> list[str]:
    """Titles of the real enterprise technology needs (the second field of each quoted record)."""
    if not path.is_file():
        return []
    titles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("' , '")
        if len(parts) >= 3 and parts[0].startswith("'"):
            titles.append(parts[1].strip())
    return titles


def application_no(row: int, year: int, kind_digit: str) -> str:
    """A valid 12-digit number whose serial is the row number + 1, so numbers never repeat within a corpus."""
    if row >= MAX_SERIAL:
        raise ValueError("corpus too large for 7-digit serials")
    body = f"{year:04d}{kind_digit}{row + 1:07d}"
    return f"{body}.{check_char(body)}"


def source_of(application_no: str, sources: int) -> int:
    """Index of the real record a synthetic row was made from (rows cycle through the sources)."""
    return (int(application_no[5:12]) - 1) % sources


def _perturb(words: list[str], rng: random.Random, edits: int) -> str:
    words = list(words)
    for _ in range(edits):
        if len(words) < 3:
            break
        i = rng.randrange(len(words) - 1)
        if rng.random() < 0.5:
            words[i], words[i + 1] = words[i + 1], words[i]
        else:
            del words[i]
    return "".join(words)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _applicants(source: Source, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55 and source.assignee:
        names = [source.assignee]
    elif roll < 0.75:
        names = [rng.choice(IM_APPLICANTS)]
    elif roll < 0.85:
        names = [_person(rng)]
    else:
        names = [source.assignee or rng.choice(IM_APPLICANTS), rng.choice(IM_APPLICANTS)]
    return ";".join(dict.fromkeys(names))


def _address(applicants: str, rng: random.Random) -> str:
    in_region = applicants.startswith(("内蒙古", "包头", "鄂尔多斯", "乌海")) or rng.random() < 0.15
    return rng.choice(IM_ADDRESSES if in_region else OTHER_ADDRESSES).format(n=rng.randint(1, 999))


def _row(index: int, source: Source, real: bool, rng: random.Random) -> list[str]:
    """One export row; the first copy of each record (`real`) keeps its text unchanged."""
    year = rng.randint(2005, 2024)
    filed = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    published = filed + timedelta(days=rng.randint(180, 540))
    main = IPC_POOL[source.label % len(IPC_POOL)]
    codes = [main, *rng.sample(IPC_EXTRA, rng.randint(0, 2))]
    applicants = _applicants(source, rng)
    return [
        application_no(index, year, "1" if rng.random() < 0.85 else "2"),
        "".join(source.title) if real else _perturb(source.title, rng, rng.randint(0, 1)),
        applicants,
        "".join(source.abstract) if real else _perturb(source.abstract, rng, rng.randint(1, 4)),
        filed.isoformat(),
        published.isoformat(),
        main,
        ";".join(codes),
        rng.choice(STATUSES),
        _address(applicants, rng),
    ]


def rows(sources: list[Source], count: int, seed: int = 7) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for index in range(count):
        yield _row(index, sources[index % len(sources)], index < len(sources), rng)


def write_csv(path: Path, sources: list[Source], count: int, seed: int = 7) -> Path:
    """Stream `count` rows to a UTF-8 CSV with the usual CNIPA-style headers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows(sources, count, seed):
            writer.writerow(row)
    return path
