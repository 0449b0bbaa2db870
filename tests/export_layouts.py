"""Patent exports in the column layouts of the tools a centre exports from, filled with synthetic rows.

Used by tests (does every column of a real layout arrive?) and by benchmarks/import_bench.py (rows/s per layout).
The rows are our own inventions: valid CN application numbers with their check character, Chinese titles and
abstracts assembled from a small word list, names joined the way each tool joins them. No real record is copied.

Where each layout comes from, and how sure we are:

- ``cnipa_csv`` — CNIPA 专利检索及分析 (pss-system.cponline.cnipa.gov.cn), CSV. **Low confidence.** No public
  sample of this export was found (searched public GitHub code and web pages). The columns are the bibliographic
  fields the system shows for a hit (申请号, 申请日, 公开(公告)号, 公开(公告)日, 发明名称, IPC分类号,
  申请(专利权)人, 发明人, 优先权号, 优先权日, 代理人, 代理机构 …, as also scraped in github
  buaatechshare/Spider patentSpider/patentSpider/items.py), in that order. Encoding GBK, header in the first row,
  dates ``YYYY.MM.DD`` and names joined by ``;``: what Chinese government systems usually write for Excel, not
  verified for this one.
- ``incopat_xlsx`` — incoPat, XLSX, 46 columns. **Medium confidence on the names, low on the selection and the
  title row.** incoPat lets the user pick the exported fields; names and order follow incoPat's field list as code
  reading its exports spells it: a TypeScript interface of an incoPat export (序号, 标题 (中文), 标题 (英文),
  摘要 (中文) … 链接到incoPat … 合享价值度) and a Rust column checker listing ~190 incoPat fields (标准化当前权利人,
  当前权利人, 代理机构, 代理人, 引证次数, 被引证次数, 简单同族, 简单同族个数, 专利有效性, 当前法律状态,
  法律状态, 转让次数, 许可次数, 质押次数, 合享价值度, 权利要求数量 …), both found on GitHub by exact string
  ("链接到incoPat", "合享价值度"; the search tool gave no repository name for them); github
  youzuos/Cooperative-network 创建边表.py reads a real export with the full-width ``公开（公告）号`` (kept here, as
  is ``标题 (中文)`` with a space, from pandas scripts reading real files). incoPat has no column named
  简单法律状态: its simple status is 专利有效性 (有效/失效/审中) beside 当前法律状态 and 法律状态; all three are
  here. Names are joined by ``; ``. The one 检索式 title row above the header is what the issue reports; no sample
  was found to confirm it.
- ``patsnap_xlsx`` — PatSnap 智慧芽 analytics, XLSX, 46 columns. **Medium confidence on the names, low on the
  selection and the title row.** Column names as public code reading PatSnap exports uses them, e.g. github
  renyidake/Streamlit streamlit系列/专利数据看板.py (公开(公告)号, [标]当前申请(专利权)人, 当前申请(专利权)人数量,
  当前申请(专利权)人州/省, 当前申请(专利权)人地市, 法律状态/事件, 简单法律状态, 受理局, 专利类型 发明申请/授权发明,
  申请年, 优先权国家 split on "|") and code found by exact string ("[标]当前申请(专利权)人",
  "Patsnap同族专利申请数量": 申请(专利权)人, [标]原始申请(专利权)人, 当前申请(专利权)人, IPC分类号, IPC主分类号,
  CPC分类号, [标]代理机构, 被引用专利, 引用专利, 被引用专利数量, 简单同族, 独立权利要求, 权利要求数, 预估到期日,
  战略新兴产业分类, 许可人, 被许可人; PatSnap's field table: 简单法律状态 0 失效 / 1 有效 / 2 审中). Multiple
  names are joined by ``" | "`` (scripts split [标]当前申请(专利权)人 on ``" | "``; IPC分类号 reads
  "B62D25/20 | B60K1/04"). Title row as for incoPat.
- ``full60_xlsx`` — the 60-column commercial export whose MySQL dump is
  /work/shared/data/cn-patents-full-fields/schema.sql (the same structure is public as github
  Pinellia-0/PatentSemantix 专利总表(仅结构).sql): **high confidence on the columns** (all 61 of the table, 序号
  first, in the dump's order). Value shapes follow the dump's column types: dates as integers ``YYYYMMDD``, names
  joined by ``;``, 国省代码 as ``河南(41)``. The original export's file format is unknown (we only have the dump);
  XLSX with the header in the first row is our choice.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ipoc.patents.numbers import check_char

Cell = str | date | int


@dataclass(frozen=True)
class Layout:
    key: str
    tool: str
    kind: str  # "csv" or "xlsx": the file the tool writes
    headers: tuple[str, ...]
    separator: str  # between names, codes and numbers in one cell
    title_rows: tuple[tuple[str, ...], ...] = ()
    encoding: str = "utf-8-sig"  # CSV only
    date_format: str | None = None  # None: a date cell (XLSX); else the text the tool writes
    int_dates: bool = False  # dates as YYYYMMDD integers (the 60-column dump)

    @property
    def suffix(self) -> str:
        return f".{self.kind}"


# ---- the synthetic patent behind one row ------------------------------------------------------------------

_SUBJECTS = [
    "稀土永磁材料", "锂离子电池正极材料", "风力发电机组叶片", "光伏组件清洗装置", "氢燃料电池双极板",
    "煤化工废水处理系统", "乳制品发酵工艺", "智能巡检机器人", "储能变流器", "羊绒纤维分梳设备", "碳化硅单晶生长炉",
    "电解水制氢电极", "牧草收割打捆机", "高炉煤气净化装置", "石墨烯导热膜", "分布式光伏并网逆变器",
]  # fmt: skip
_ENDINGS = ["及其制备方法", "的控制方法", "及装置", "", "的检测方法", "及系统"]
_PARTS = ["壳体", "支架", "驱动电机", "控制器", "传感器", "冷却管路", "电极板", "过滤层", "输送带", "储液罐", "转轴"]
_EFFECTS = ["提高了转换效率", "降低了生产成本", "延长了使用寿命", "减少了能耗", "提升了检测精度", "简化了安装步骤"]
_CITIES = [
    ("内蒙古自治区呼和浩特市赛罕区", "内蒙古(15)"), ("内蒙古自治区包头市昆都仑区", "内蒙古(15)"),
    ("内蒙古自治区鄂尔多斯市康巴什区", "内蒙古(15)"), ("北京市海淀区", "北京(11)"), ("河南省郑州市金水区", "河南(41)"),
    ("广东省深圳市南山区", "广东(44)"), ("江苏省南京市玄武区", "江苏(32)"), ("陕西省西安市雁塔区", "陕西(61)"),
]  # fmt: skip
_FIRMS = ["稀土新材料", "能源科技", "风电装备", "光伏电力", "氢能科技", "煤化工", "乳业", "智能装备", "电力工程"]
_SCHOOLS = ["内蒙古大学", "内蒙古工业大学", "内蒙古科技大学", "包头稀土研究院", "郑州大学", "西安交通大学"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
_IPC = [
    "H01M10/052", "H01M4/36", "H01F1/057", "F03D80/40", "H02S40/10", "H01M8/0206", "C02F9/00", "A23C9/13",
    "B25J11/00", "H02M7/48", "D01G15/00", "C30B29/36", "C25B11/04", "A01D39/00", "C21B7/22", "C01B32/194",
]  # fmt: skip
_CPC = ["Y02E60/10", "Y02E10/72", "Y02E10/50", "Y02P70/50", "Y02E60/50", "Y02W10/37"]
_KINDS = [("1", "invention"), ("1", "invention"), ("2", "utility_model"), ("3", "design")]
_STATUS = [
    ("有效", "授权"),
    ("有效", "授权"),
    ("审中", "实质审查"),
    ("审中", "公开"),
    ("失效", "未缴年费"),
    ("失效", "驳回"),
]
_AGENCIES = ["北京集佳知识产权代理有限公司 11227", "包头市专利事务所 15101", "郑州明华专利代理事务所（普通合伙） 41162"]
_INDUSTRY = ["新能源产业", "新材料产业", "高端装备制造产业", "节能环保产业"]


class Synthetic:
    """One invented patent; each layout reads the same attributes and writes them its own way."""

    def __init__(self, i: int, rng: random.Random) -> None:
        self.i = i
        type_digit, self.kind = rng.choice(_KINDS)
        self.filed = date(2012, 1, 1) + timedelta(days=rng.randrange(11 * 365))
        body = f"{self.filed.year}{type_digit}{i % 10_000_000:07d}"
        self.application_no = f"CN{body}.{check_char(body)}"
        self.published = self.filed + timedelta(days=rng.randrange(90, 540))
        granted = self.kind != "invention" or rng.random() < 0.5
        self.granted = self.published + timedelta(days=rng.randrange(60, 700)) if granted else None
        code = {"invention": "A", "utility_model": "U", "design": "S"}[self.kind]
        self.publication_no = f"CN{100_000_000 + i % 900_000_000}{code}"
        self.grant_no = f"CN{100_000_000 + i % 900_000_000}{'B' if code == 'A' else code}" if self.granted else ""
        subject = rng.choice(_SUBJECTS)
        self.title = f"一种{subject}{rng.choice(_ENDINGS)}"
        parts = rng.sample(_PARTS, 4)
        self.first_claim = (
            f"1.{self.title}，其特征在于，包括{parts[0]}、{parts[1]}和{parts[2]}，所述{parts[0]}与{parts[3]}连接。"
        )
        self.abstract = (
            f"本发明公开了{self.title}，包括{parts[0]}、{parts[1]}和{parts[2]}。所述{parts[1]}设置于{parts[0]}内部，"
            f"{parts[2]}与{parts[3]}相连。本发明结构简单，{rng.choice(_EFFECTS)}，并{rng.choice(_EFFECTS)}。"
        )
        self.address, self.province = rng.choice(_CITIES)
        self.address = f"{self.address}科技路{rng.randrange(1, 300)}号"
        count = 1 + (i % 2) + (rng.random() < 0.2)  # every other row has two or more applicants
        self.applicants = [self._applicant(rng) for _ in range(count)]
        self.owners = self.applicants if rng.random() < 0.85 else [self._applicant(rng)]
        self.inventors = ["".join((rng.choice(_SURNAMES), *rng.sample(_GIVEN, rng.choice((1, 2))))) for _ in range(3)]
        self.ipc = rng.sample(_IPC, rng.randint(1, 3))
        self.cpc = rng.sample(_CPC, 2)
        self.simple_status, self.status = _STATUS[0] if granted else rng.choice(_STATUS[2:])
        self.agency = rng.choice(_AGENCIES)
        self.agent = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        self.cited, self.citing = rng.randrange(0, 30), rng.randrange(0, 15)
        self.transfers, self.licences, self.pledges = (
            rng.choice((0, 0, 0, 1)),
            rng.choice((0, 0, 1)),
            rng.choice((0, 1)),
        )
        self.family = [self.publication_no] + ([f"WO2021{i % 1_000_000:06d}A1"] if rng.random() < 0.2 else [])
        self.claims = rng.randint(1, 20)
        self.value = rng.randint(1, 10)
        term = 20 if self.kind == "invention" else 10
        self.expires = date(self.filed.year + term, self.filed.month, min(self.filed.day, 28))
        self.industry = rng.choice(_INDUSTRY)
        foreign = rng.random() < 0.1  # most CN filings claim no priority
        self.priority_no = f"US{16_000_000 + i % 1_000_000}" if foreign else ""
        self.priority_date = self.filed - timedelta(days=300) if foreign else None

    @staticmethod
    def _applicant(rng: random.Random) -> str:
        if rng.random() < 0.3:
            return rng.choice(_SCHOOLS)
        return f"{rng.choice(('内蒙古', '包头', '鄂尔多斯', '郑州', '深圳'))}{rng.choice(_FIRMS)}有限公司"


# ---- one value per column header, across all layouts -------------------------------------------------------

Value = Callable[[Synthetic, Layout], Cell]


def _names(attr: str) -> Value:
    return lambda p, lay: lay.separator.join(getattr(p, attr))


def _date(attr: str) -> Value:
    def value(p: Synthetic, lay: Layout) -> Cell:
        day = getattr(p, attr)
        if day is None:
            return ""
        if lay.int_dates:
            return int(day.strftime("%Y%m%d"))
        return day.strftime(lay.date_format) if lay.date_format else day

    return value


def _kind_label(p: Synthetic, lay: Layout) -> str:
    if p.kind != "invention":
        return {"utility_model": "实用新型", "design": "外观设计"}[p.kind]
    if lay.key == "cnipa_csv" or lay.key == "full60_xlsx":
        return "发明"
    return ("授权发明" if lay.key == "patsnap_xlsx" else "发明授权") if p.granted else "发明申请"


def _legal_history(p: Synthetic, lay: Layout) -> str:
    steps = ["公开", "实质审查"] if p.kind == "invention" else []
    steps += ["授权"] if p.granted else ([p.status] if p.status not in steps else [])
    return lay.separator.join(dict.fromkeys(steps))


def _const(value: Cell) -> Value:
    return lambda p, lay: value


def _attr(attr: str) -> Value:
    return lambda p, lay: getattr(p, attr)


_APPLICATION_NO: Value = _attr("application_no")
_FIRST_APPLICANT: Value = lambda p, lay: p.applicants[0]  # noqa: E731
_FIRST_INVENTOR: Value = lambda p, lay: p.inventors[0]  # noqa: E731
_IPC_MAIN: Value = lambda p, lay: p.ipc[0]  # noqa: E731
_APPLICANT_TYPE: Value = lambda p, lay: "大专院校" if p.applicants[0] in _SCHOOLS else "企业"  # noqa: E731
_SERIAL: Value = lambda p, lay: p.i + 1  # noqa: E731
_FAMILY_SIZE: Value = lambda p, lay: len(p.family)  # noqa: E731
_PRIORITY: Value = _attr("priority_no")

VALUES: dict[str, Value] = {
    # shared meanings
    "序号": _SERIAL,
    "申请号": _APPLICATION_NO,
    "申请日": _date("filed"),
    "公开(公告)号": _attr("publication_no"),
    "公开（公告）号": _attr("publication_no"),
    "公开号": _attr("publication_no"),
    "公开(公告)日": _date("published"),
    "公开（公告）日": _date("published"),
    "公开日": _date("published"),
    "授权公告号": _attr("grant_no"),
    "授权公告日": _date("granted"),
    "发明名称": _attr("title"),
    "标题": _attr("title"),
    "标题 (中文)": _attr("title"),
    "专利名称": _attr("title"),
    "授权名称": lambda p, lay: p.title if p.granted else "",
    "标题 (英文)": lambda p, lay: f"Synthetic device {p.i}",
    "摘要": _attr("abstract"),
    "摘要 (中文)": _attr("abstract"),
    "申请摘要": _attr("abstract"),
    "摘要 (英文)": lambda p, lay: "A synthetic abstract for benchmarking.",
    "申请(专利权)人": _names("applicants"),
    "申请人": _names("applicants"),
    "[标]原始申请(专利权)人": _names("applicants"),
    "当前申请(专利权)人": _names("owners"),
    "[标]当前申请(专利权)人": _names("owners"),
    "当前权利人": _names("owners"),
    "标准化当前权利人": _names("owners"),
    "第一申请人": _FIRST_APPLICANT,
    "第一权利人": lambda p, lay: p.owners[0],
    "当前申请(专利权)人数量": lambda p, lay: len(p.owners),
    "申请人类型": _APPLICANT_TYPE,
    "[标]当前申请(专利权)人类型": _APPLICANT_TYPE,
    "发明人": _names("inventors"),
    "当前发明人": _names("inventors"),
    "第一发明人": _FIRST_INVENTOR,
    "发明人数量": lambda p, lay: len(p.inventors),
    "申请人地址": _attr("address"),
    "当前著录项联系人通讯地址": _attr("address"),
    "申请人邮编": lambda p, lay: f"01{p.i % 10000:04d}",
    "国省代码": _attr("province"),
    "申请人省市代码": lambda p, lay: p.province.split("(")[1].rstrip(")"),
    "当前申请(专利权)人州/省": lambda p, lay: p.province.split("(")[0],
    "中国申请人地市": lambda p, lay: p.address[:9],
    "当前申请(专利权)人地市": lambda p, lay: p.address[:9],
    "IPC分类号": _names("ipc"),
    "IPC": _names("ipc"),
    "分类号": _names("ipc"),
    "IPC主分类号": _IPC_MAIN,
    "IPC主分类": _IPC_MAIN,
    "主分类号": _IPC_MAIN,
    "CPC分类号": _names("cpc"),
    "CPC": _names("cpc"),
    "CPC主分类号": lambda p, lay: p.cpc[0],
    "FI主分类号": _const(""),
    "FI分类号": _const(""),
    "代理机构": _attr("agency"),
    "[标]代理机构": _attr("agency"),
    "专利代理机构": _attr("agency"),
    "当前专利代理机构": _attr("agency"),
    "变更前代理机构": _const(""),
    "代理人": _attr("agent"),
    "专利代理人": _attr("agent"),
    "当前专利代理人": _attr("agent"),
    "审查员": _const("审查员甲"),
    "优先权号": _PRIORITY,
    "优先权信息": _PRIORITY,
    "优先权": _PRIORITY,
    "优先权日": _date("priority_date"),
    "最早优先权日": lambda p, lay: _date("priority_date" if p.priority_no else "filed")(p, lay),
    "优先权数量": lambda p, lay: int(bool(p.priority_no)),
    "优先权国家": lambda p, lay: "US" if p.priority_no else "",
    "专利类型": _kind_label,
    "公开类型": lambda p, lay: "授权" if p.granted else "公开",
    "公开国别": _const("中国"),
    "受理局": _const("CN"),
    "申请年": lambda p, lay: p.filed.year,
    "链接到incoPat": lambda p, lay: f"https://www.incopat.com/detail/init2?formerQuery={p.publication_no}",
    "全文链接": lambda p, lay: f"https://example.invalid/pdf/{p.publication_no}.pdf",
    # claims
    "首项权利要求": _attr("first_claim"),
    "主权项": _attr("first_claim"),
    "独立权利要求": _attr("first_claim"),
    "权利要求数量": _attr("claims"),
    "权利要求数": _attr("claims"),
    # legal status
    "专利有效性": _attr("simple_status"),
    "简单法律状态": _attr("simple_status"),
    "当前法律状态": _attr("status"),
    "法律状态": lambda p, lay: "有权-审定授权" if lay.key == "full60_xlsx" and p.granted else _legal_history(p, lay),
    "法律状态/事件": _legal_history,
    "法律事件": _legal_history,
    "失效日": lambda p, lay: _date("expires")(p, lay) if p.simple_status == "失效" else "",
    "失效日期": lambda p, lay: _date("expires")(p, lay) if p.simple_status == "失效" else "",
    "预估到期日": _date("expires"),
    "实质审查生效日": lambda p, lay: _date("published")(p, lay) if p.kind == "invention" else "",
    "实质审查日": lambda p, lay: _date("published")(p, lay) if p.kind == "invention" else "",
    "颁证日": _date("granted"),
    "审查时长": lambda p, lay: (p.granted - p.filed).days // 30 if p.granted else "",
    # citations, family, transactions
    "引证次数": _attr("citing"),
    "引证数": _attr("citing"),
    "被引证次数": _attr("cited"),
    "被引用专利数量": _attr("cited"),
    "引证专利": _const(""),
    "引用专利": _const(""),
    "被引用专利": _const(""),
    "非专利引证": _const(""),
    "简单同族": _names("family"),
    "同族专利": _names("family"),
    "简单同族个数": _FAMILY_SIZE,
    "简单同族数量": _FAMILY_SIZE,
    "Patsnap同族专利申请数量": _FAMILY_SIZE,
    "转让次数": _attr("transfers"),
    "专利转移次数": _attr("transfers"),
    "许可次数": _attr("licences"),
    "质押次数": _attr("pledges"),
    "转让日期": lambda p, lay: _date("published")(p, lay) if p.transfers else "",
    "受让人": lambda p, lay: p.owners[0] if p.transfers else "",
    "转让人": lambda p, lay: p.applicants[0] if p.transfers else "",
    "许可日期": lambda p, lay: _date("published")(p, lay) if p.licences else "",
    "许可人": lambda p, lay: p.owners[0] if p.licences else "",
    "被许可人": lambda p, lay: "包头示范应用有限公司" if p.licences else "",
    "质押日期": lambda p, lay: _date("published")(p, lay) if p.pledges else "",
    "质权人": lambda p, lay: "中国银行股份有限公司包头分行" if p.pledges else "",
    "无效宣告日期": _const(""),
    "国际申请号": _const(""),
    "国际申请日": _const(""),
    "国际公开号": _const(""),
    "国际公开日": _const(""),
    "进入国家日期": _const(""),
    # value and industry
    "合享价值度": _attr("value"),
    "技术稳定性": lambda p, lay: min(10, p.value + 1),
    "技术先进性": _attr("value"),
    "保护范围": lambda p, lay: max(1, p.value - 1),
    "新兴产业分类": _attr("industry"),
    "战略新兴产业分类": _attr("industry"),
    "国民经济分类": _const("C3841"),
}

# ---- the layouts -------------------------------------------------------------------------------------------

CNIPA_CSV = Layout(
    key="cnipa_csv",
    tool="CNIPA 专利检索及分析",
    kind="csv",
    headers=(
        "申请号",
        "申请日",
        "公开(公告)号",
        "公开(公告)日",
        "发明名称",
        "专利类型",
        "IPC分类号",
        "IPC主分类号",
        "CPC分类号",
        "申请(专利权)人",
        "发明人",
        "优先权号",
        "优先权日",
        "申请人地址",
        "申请人邮编",
        "国省代码",
        "代理人",
        "代理机构",
        "摘要",
        "主权项",
        "法律状态",
    ),
    separator=";",
    encoding="gbk",
    date_format="%Y.%m.%d",
)

INCOPAT_XLSX = Layout(
    key="incopat_xlsx",
    tool="incoPat",
    kind="xlsx",
    headers=(
        "序号",
        "标题 (中文)",
        "标题 (英文)",
        "摘要 (中文)",
        "摘要 (英文)",
        "申请人",
        "公开（公告）号",
        "公开（公告）日",
        "申请号",
        "申请日",
        "公开类型",
        "专利类型",
        "公开国别",
        "链接到incoPat",
        "首项权利要求",
        "权利要求数量",
        "IPC主分类",
        "IPC",
        "CPC",
        "国民经济分类",
        "新兴产业分类",
        "标准化当前权利人",
        "当前权利人",
        "第一申请人",
        "申请人类型",
        "申请人地址",
        "申请人省市代码",
        "中国申请人地市",
        "发明人",
        "代理机构",
        "代理人",
        "优先权信息",
        "最早优先权日",
        "授权公告日",
        "失效日",
        "引证次数",
        "被引证次数",
        "简单同族",
        "简单同族个数",
        "专利有效性",
        "当前法律状态",
        "法律状态",
        "转让次数",
        "许可次数",
        "质押次数",
        "合享价值度",
    ),
    separator="; ",
    title_rows=(("检索式：TIAB=(储能 OR 电池) AND AP=(内蒙古)",),),
)

PATSNAP_XLSX = Layout(
    key="patsnap_xlsx",
    tool="PatSnap 智慧芽",
    kind="xlsx",
    headers=(
        "序号",
        "公开(公告)号",
        "申请号",
        "标题",
        "摘要",
        "申请日",
        "公开(公告)日",
        "申请年",
        "专利类型",
        "受理局",
        "申请(专利权)人",
        "[标]原始申请(专利权)人",
        "当前申请(专利权)人",
        "[标]当前申请(专利权)人",
        "当前申请(专利权)人数量",
        "[标]当前申请(专利权)人类型",
        "当前申请(专利权)人州/省",
        "当前申请(专利权)人地市",
        "发明人",
        "发明人数量",
        "[标]代理机构",
        "代理人",
        "IPC主分类号",
        "IPC分类号",
        "CPC分类号",
        "战略新兴产业分类",
        "优先权号",
        "优先权国家",
        "最早优先权日",
        "授权公告日",
        "预估到期日",
        "失效日",
        "简单法律状态",
        "法律状态/事件",
        "被引用专利",
        "引用专利",
        "被引用专利数量",
        "简单同族",
        "Patsnap同族专利申请数量",
        "独立权利要求",
        "权利要求数",
        "转让人",
        "受让人",
        "许可人",
        "被许可人",
        "质权人",
    ),
    separator=" | ",
    title_rows=(("检索式：TACD:(储能 OR 电池) AND ANCS_STATE:(内蒙古)",),),
)

FULL60_XLSX = Layout(
    key="full60_xlsx",
    tool="60-column commercial export (cn-patents-full-fields)",
    kind="xlsx",
    headers=(
        "序号",
        "申请日",
        "公开日",
        "授权公告日",
        "申请人",
        "发明人",
        "申请号",
        "公开号",
        "授权公告号",
        "专利类型",
        "专利名称",
        "授权名称",
        "申请摘要",
        "主权项",
        "申请人地址",
        "法律状态",
        "主分类号",
        "分类号",
        "国省代码",
        "专利代理人",
        "专利代理机构",
        "优先权",
        "优先权日",
        "优先权数量",
        "全文链接",
        "第一发明人",
        "第一权利人",
        "申请人类型",
        "当前发明人",
        "当前权利人",
        "当前著录项联系人通讯地址",
        "当前专利代理人",
        "当前专利代理机构",
        "变更前代理机构",
        "法律事件",
        "引证专利",
        "非专利引证",
        "引证数",
        "同族专利",
        "专利转移次数",
        "许可次数",
        "质押次数",
        "简单同族数量",
        "转让日期",
        "失效日期",
        "质押日期",
        "许可日期",
        "无效宣告日期",
        "CPC主分类号",
        "CPC分类号",
        "FI主分类号",
        "FI分类号",
        "国际申请号",
        "国际申请日",
        "国际公开号",
        "国际公开日",
        "进入国家日期",
        "颁证日",
        "审查员",
        "审查时长",
        "实质审查日",
    ),
    separator=";",
    int_dates=True,
)

LAYOUTS: dict[str, Layout] = {lay.key: lay for lay in (CNIPA_CSV, INCOPAT_XLSX, PATSNAP_XLSX, FULL60_XLSX)}


def make_row(layout: Layout, i: int, rng: random.Random) -> list[Cell]:
    """Row ``i`` (0-based; its application and publication numbers are unique per ``i``) in ``layout``'s columns."""
    patent = Synthetic(i, rng)
    return [VALUES[header](patent, layout) for header in layout.headers]


def rows(layout: Layout, count: int, seed: int = 14) -> Iterable[list[Cell]]:
    """``count`` rows one at a time (a 100k file never sits in memory)."""
    rng = random.Random(seed)
    return (make_row(layout, i, rng) for i in range(count))


def _text(cell: Cell, layout: Layout) -> str:
    if isinstance(cell, date):
        return cell.strftime(layout.date_format or "%Y-%m-%d")
    return str(cell)


def write_csv(path: Path, layout: Layout, data: Iterable[list[Cell]]) -> Path:
    """A CSV as the tool writes it: its encoding, its title rows (if any), the header, the rows."""
    with path.open("w", encoding=layout.encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(layout.title_rows)
        writer.writerow(layout.headers)
        for row in data:
            writer.writerow([_text(cell, layout) for cell in row])
    return path


def write_xlsx(path: Path, layout: Layout, data: Iterable[list[Cell]]) -> Path:
    """An XLSX as the tool writes it (one sheet, title rows above the header), streamed in write-only mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    for title in layout.title_rows:
        sheet.append(list(title))
    sheet.append(list(layout.headers))
    for row in data:
        sheet.append(row)
    workbook.save(path)
    return path


def write_export(path: Path, layout: Layout, data: Iterable[list[Cell]]) -> Path:
    """The file the tool writes, CSV or XLSX, at ``path`` (its suffix is the caller's)."""
    return (write_csv if layout.kind == "csv" else write_xlsx)(path, layout, data)
