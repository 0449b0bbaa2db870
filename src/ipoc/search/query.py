"""The search syntax users know from CNIPA, incoPat and PatSnap, parsed by hand and compiled to tantivy queries.

Chinese words go through the Segmenter (never through tantivy's own query parser), so a query is split exactly
as the indexed text was.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import tantivy

from ipoc.errors import InvalidInput
from ipoc.patents.numbers import search_numbers as number_variants
from ipoc.search.text import Segmenter, default_segmenter, fold, name_key

# Field codes → (index field, boost). Free words search TX: title over abstract over claims.
TEXT_FIELDS: dict[str, tuple[tuple[str, float], ...]] = {
    "TI": (("title", 1.0),),
    "AB": (("abstract", 1.0),),
    "CL": (("claims", 1.0),),
    "TIAB": (("title", 3.0), ("abstract", 1.5)),
    "TX": (("title", 3.0), ("abstract", 1.5), ("claims", 1.0)),
}
# Names are matched as units (normalised, whole name), not as words: PA=(内蒙古示例大学) is that university only.
NAME_FIELDS = {"PA": "applicant_key", "IN": "inventor_key"}  # code → index field of normalised names
NUMBER_FIELDS = ("AN", "PN")  # application number; publication or grant number (any notation)
ANY_NUMBER = "NO"  # a number typed without a field code: any of the patent's numbers
DATE_FIELDS = {"AD": "application_date", "PD": "publication_date", "GD": "grant_date"}
IPC_FIELD = "ipc"
NUMBER_FIELD = "numbers"
ID_FIELD = "patent_id"
DEFAULT_FIELD = "TX"
# The codes of CNIPA, incoPat and PatSnap, and the Chinese field names, each read as one of ours. CPC codes are
# matched as IPC prefixes: the platform stores IPC only, and CPC refines IPC below the main group.
FIELD_ALIASES: dict[str, str] = {
    **{code: code for code in (*TEXT_FIELDS, *NAME_FIELDS, *NUMBER_FIELDS, *DATE_FIELDS, "IPC")},
    "ALL": "TX", "TIABC": "TX", "TAC": "TX", "TIABCL": "TX", "TA": "TIAB", "TTL": "TI", "ABST": "AB",
    "CLMS": "CL", "AP": "PA", "ANS": "PA", "ANC": "PA", "APO": "PA", "INV": "IN", "APN": "AN", "GN": "PN",
    "PBD": "PD", "APD": "AD", "IC": "IPC", "MIPC": "IPC", "CPC": "IPC", "GPD": "GD",
    "发明名称": "TI", "名称": "TI", "标题": "TI", "摘要": "AB", "权利要求": "CL", "主权项": "CL", "全文": "TX",
    "申请人": "PA", "专利权人": "PA", "当前权利人": "PA", "发明人": "IN", "申请号": "AN", "公开号": "PN",
    "公告号": "PN", "授权公告号": "PN", "公开（公告）号": "PN", "分类号": "IPC", "IPC分类号": "IPC",
    "主分类号": "IPC", "申请日": "AD", "公开日": "PD", "公告日": "PD", "授权日": "GD", "授权公告日": "GD",
}  # fmt: skip
FIELD_CODES = tuple(code for code in FIELD_ALIASES if code.isascii())
# A column kept verbatim from an export (代理机构, CPC, 合享价值度 …) is searched under its own header, typed before
# "=": 代理机构=(三友). Its field is EXTRA_FIELD_PREFIX + the header's key; the words are indexed as key=word.
EXTRA_FIELD_PREFIX = "extra:"
EXTRA_FIELD = "extra"
_CODES_SHOWN = "、".join(("TI", "AB", "CL", "TIAB", "TX", "PA", "IN", "AN", "PN", "IPC", "AD", "PD", "GD"))


def field_code(word: str, *, colon: bool = False) -> str | None:
    """Our code for a typed field code or Chinese field name; None when it is neither. A Chinese name counts
    only before "=": "摘要：" and "需求内容：" in pasted text are labels, not field codes."""
    code = FIELD_ALIASES.get(word.upper())
    if code is None or (colon and not word.isascii()):
        return None
    return code


_OPERATORS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "与": "AND", "或": "OR", "非": "NOT"}
_WIDE = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x201C: 0x22, 0x201D: 0x22}
_STOP = set(' \t\r\n()[]"=:')
_DATE = re.compile(r"(\d{4})(?:[-./年](\d{1,2})(?:[-./月](\d{1,2})日?)?月?)?年?|(\d{4})(\d{2})(\d{2})")
_FIELD_TIE = 0.2
# The boilerplate of a written need (需求内容：… 预期目标：…), never its technology.
_NEED_BOILERPLATE = """
需求 内容 预期 目标 预期目标 现有 工作 基础 研究 开发 研发 具体 主要 包括 要求 指标 达到 以上 以下 超过
不低于 不超过 不高于 低于 高于 左右 前提 情况 方式 过程 能力 水平 效果 应用 领域 方案 项目 行业 国内 国外
国际 先进 合作 单位 解决方案 关键 核心 难题 瓶颈 存在 导致 影响 较高 较低 较大 提升 改善 优化 急需 亟需
拟 计划 开展 形成 满足 具有 采用 利用 基于 针对 相应 同时 其他 一定 各种 一些 这些 我司 本公司 我单位
"""
# Words a natural-language need is full of and that say nothing about the technology.
FUNCTION_WORDS = frozenset(
    {
        "的",
        "地",
        "得",
        "了",
        "着",
        "和",
        "与",
        "及",
        "或",
        "而",
        "并",
        "在",
        "是",
        "有",
        "用",
        "于",
        "对",
        "将",
        "把",
        "被",
        "为",
        "从",
        "以",
        "由",
        "向",
        "到",
        "中",
        "上",
        "下",
        "等",
        "其",
        "该",
        "此",
        "这",
        "那",
        "一",
        "一种",
        "一个",
        "个",
        "种",
        "如何",
        "怎么",
        "怎样",
        "什么",
        "哪些",
        "需要",
        "希望",
        "能够",
        "可以",
        "可",
        "能",
        "要",
        "想",
        "实现",
        "问题",
        "方法",
        "技术",
        "我们",
        "公司",
        "企业",
        "目前",
        "现有",
        "进行",
        "通过",
        "提高",
        "解决",
        "寻求",
        "寻找",
        "相关",
        "方面",
        "以及",
        "或者",
        "并且",
        "及其",
        "其中",
    }
) | frozenset(_NEED_BOILERPLATE.split())
_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")  # "永磁 材料" means 永磁材料 in a phrase


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    field: str = DEFAULT_FIELD


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    field: str = DEFAULT_FIELD


@dataclass(frozen=True, slots=True)
class Words:
    """Any of the words of a text (as segmented), ranked by how many and how rare; never typed by users."""

    text: str
    field: str = DEFAULT_FIELD


@dataclass(frozen=True, slots=True)
class DateRange:
    field: str  # AD | PD
    start: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class IdSet:
    """Given patents by id: the hand-added members of a core-domain database, or semantic candidates."""

    ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Term | Phrase | Words | DateRange | IdSet | And | Or | Not


@dataclass(frozen=True, slots=True)
class Reading:
    """What a typed query was taken to mean: a deliberate query, or natural text ranked by relevance."""

    node: Node | None
    natural: bool = False
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ( ) [ ] PHRASE WORD FIELD AND OR NOT END
    text: str
    pos: int  # 0-based character index in the query


def _fail(pos: int, message: str) -> InvalidInput:
    return InvalidInput(f"第 {pos + 1} 个字符处{message}", field="q")


def _lex(query: str) -> list[_Token]:
    text = query.translate(_WIDE)
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()[]":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _fail(i, "的引号没有闭合")
            tokens.append(_Token("PHRASE", text[i + 1 : end], i))
            i = end + 1
        elif text.startswith(("&&", "||"), i):
            tokens.append(_Token("AND" if ch == "&" else "OR", text[i : i + 2], i))
            i += 2
        elif ch == "-" and i + 1 < n and not (text[i + 1].isspace() or text[i + 1].isdigit()):  # -40℃ is text
            tokens.append(_Token("NOT", "-", i))
            i += 1
        elif ch in "=:":
            raise _fail(i, f"的“{ch}”前缺少字段代码（可用：{_CODES_SHOWN} 等，见检索帮助）")
        else:
            i = _lex_word(text, i, tokens)
    tokens.append(_Token("END", "", n))
    return tokens


def _lex_word(text: str, start: int, tokens: list[_Token]) -> int:
    i = start
    while i < len(text) and text[i] not in _STOP and not text.startswith(("&&", "||"), i):
        i += 1
    word = text[start:i]
    if i < len(text) and text[i] in "=:":
        code = field_code(word, colon=text[i] == ":") or _kept_column(word, text[i])
        if code is None:
            raise _fail(start, f"的字段代码“{word}”无法识别（可用：{_CODES_SHOWN} 等，见检索帮助）")
        tokens.append(_Token("FIELD", code, start))
        return i + 1
    operator = _OPERATORS.get(word.upper())
    tokens.append(_Token(operator, word, start) if operator else _Token("WORD", word, start))
    return i


def _kept_column(word: str, mark: str) -> str | None:
    """A header that is no field code, typed before "=" and not plain ASCII (a mistyped code stays an error), names a
    column kept verbatim from an export."""
    if mark != "=" or word.isascii() or not word:
        return None
    return EXTRA_FIELD_PREFIX + extra_key(word)


def extra_key(header: str) -> str:
    """A kept column's header as indexed and as typed: half-width, case-folded, without spaces."""
    return "".join(fold(header).split())


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _lex(query)
        self.i = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node | None:
        if self.peek.kind == "END":
            return None
        node = self.expr(DEFAULT_FIELD)
        token = self.peek
        if token.kind == ")":
            raise _fail(token.pos, "多了一个右括号")
        if token.kind != "END":
            raise _fail(token.pos, f"的“{token.text}”无法解析")
        return node

    def expr(self, field: str) -> Node:
        children = [self.conjunction(field)]
        while self.peek.kind == "OR":
            self.take()
            children.append(self.conjunction(field))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def conjunction(self, field: str) -> Node:
        children = [self.unary(field)]
        while True:
            if self.peek.kind == "AND":
                self.take()
            elif self.peek.kind not in ("NOT", "WORD", "PHRASE", "FIELD", "("):
                break
            children.append(self.unary(field))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, field: str) -> Node:
        if self.peek.kind == "NOT":
            self.take()
            return Not(self.unary(field))
        return self.primary(field)

    def primary(self, field: str) -> Node:
        token = self.take()
        if token.kind == "(":
            node = self.expr(field)
            if self.peek.kind != ")":
                raise _fail(self.peek.pos, f"缺少右括号（与第 {token.pos + 1} 个字符处的左括号配对）")
            self.take()
            return node
        if token.kind == "FIELD":
            return self.fielded(token)
        if token.kind == "PHRASE":
            if not token.text.strip():
                raise _fail(token.pos, "的引号内没有内容")
            return Phrase(token.text, field)
        if token.kind == "WORD":
            if field == DEFAULT_FIELD and number_variants(token.text):
                return Term(token.text, ANY_NUMBER)
            return Term(token.text, field)
        if token.kind == "END":
            raise _fail(token.pos, "缺少检索词")
        if token.kind == ")":
            raise _fail(token.pos, "多了一个右括号")
        raise _fail(token.pos, f"的“{token.text}”前缺少检索词")

    def fielded(self, code_token: _Token) -> Node:
        code = code_token.text
        if code in DATE_FIELDS:
            return self.date_range(code)
        token = self.peek
        if token.kind not in ("(", "WORD", "PHRASE"):
            raise _fail(token.pos, f"缺少“{code}=”的检索内容")
        return self.primary(code)

    def date_range(self, code: str) -> DateRange:
        token = self.take()
        if token.kind == "WORD":
            return DateRange(code, _date(token, upper=False), _date(token, upper=True))
        if token.kind != "[":
            raise _fail(token.pos, f"缺少“{code}=”的日期范围，应写作 {code}=[2020-01-01 TO 2023-12-31]")
        start = self.bound(upper=False)
        separator = self.take()
        if separator.kind != "WORD" or separator.text.upper() not in ("TO", "至", "~"):
            raise _fail(separator.pos, "的日期范围缺少“TO”")
        end = self.bound(upper=True)
        closing = self.take()
        if closing.kind != "]":
            raise _fail(closing.pos, "的日期范围缺少右方括号“]”")
        if start and end and start > end:
            raise _fail(token.pos, "的日期范围起始日期晚于结束日期")
        return DateRange(code, start, end)

    def bound(self, *, upper: bool) -> date | None:
        token = self.take()
        if token.kind != "WORD":
            raise _fail(token.pos, "缺少日期")
        return None if token.text == "*" else _date(token, upper=upper)


def _date(token: _Token, *, upper: bool) -> date:
    """A full date, a year-month or a year; a partial upper bound means its last day."""
    match = _DATE.fullmatch(token.text)
    try:
        if not match:
            raise ValueError(token.text)
        if match[4]:
            return date(int(match[4]), int(match[5]), int(match[6]))
        year = int(match[1])
        month = int(match[2]) if match[2] else (12 if upper else 1)
        last = calendar.monthrange(year, month)[1]
        return date(year, month, int(match[3]) if match[3] else (last if upper else 1))
    except ValueError:
        raise _fail(token.pos, f"的日期“{token.text}”无法识别（应写作 2020-01-01 或 2020）") from None


def parse(query: str) -> Node | None:
    """Parse a query into an AST; None for an empty query. Raises InvalidInput with where and what went wrong."""
    return _Parser(query).parse()


NATURAL_NOTICE = "按自然语言检索：较长的描述按相关度排序，不要求包含全部词语"
FALLBACK_NOTICE = "输入内容不是完整的检索式（{reason}），已按自然语言检索"
# A query is deliberate when it uses our syntax on purpose: a known field code before "=" (or an ASCII code
# before ":"), or an operator in capitals between words. Only a deliberate query is refused for a syntax error.
_DELIBERATE = re.compile(
    r"(?<![A-Za-z])(?P<code>[A-Za-z]{2,6})\s*[=:＝：]|(?P<name>[\u4e00-\u9fff（）()]{2,8})\s*[=＝]|(?:^|\s)(?:AND|OR|NOT)(?:\s|$)"
)
_SPACED_NUMBER = re.compile(r"(?:(?:CN|ZL|[A-Z]{2})\s*)?\d[\d\s./]{6,20}[\dX](?:\s*[A-Z]\d?)?(?![\w])", re.IGNORECASE)
_SENTENCE = re.compile(r"[，。；：、！？,;!?\n]|\d\s*[)）]|[(（]\s*\d\s*[)）]")
NATURAL_MIN_WORDS = 5  # an unspaced run of this many content words is a description, not a keyword
NATURAL_MIN_KEYWORDS = 9  # space-separated keywords are ANDed up to this many


def read(query: str) -> Reading:
    """What a person typed, taken as they meant it: never refused unless it is a deliberate query with a real
    error. Pasted descriptions (labels with "：", numbering like "1）", unbalanced brackets, sentences) are
    searched as natural language and said so; short keyword queries keep their AND meaning."""
    text = _SPACED_NUMBER.sub(_joined_number, query).strip()
    deliberate = _is_deliberate(text)
    if not deliberate and _looks_natural(text):
        return Reading(Words(text), natural=True, notice=NATURAL_NOTICE)
    try:
        node = parse(text)
    except InvalidInput as error:
        if deliberate:
            raise
        reason = str(error).split("处", 1)[-1].split("（", 1)[0]
        return Reading(Words(text), natural=True, notice=FALLBACK_NOTICE.format(reason=reason))
    return Reading(node)


def _joined_number(match: re.Match[str]) -> str:
    """ "ZL 2022 1 0123456.1" → "ZL202210123456.1", "US 2015/0112182 A1" → "US2015/0112182A1" when it is a patent
    number; other text is left alone."""
    compact = "".join(match[0].split())
    return compact if number_variants(compact) else match[0]


def _is_deliberate(text: str) -> bool:
    for match in _DELIBERATE.finditer(text.translate(_WIDE)):
        if match["code"] is not None and field_code(match["code"]) is None:
            continue
        if match["name"] is not None and field_code(match["name"]) is None:
            continue
        return True
    return False


def _looks_natural(text: str) -> bool:
    """Sentence punctuation or numbering, a long unspaced description, or more keywords than anyone ANDs."""
    if not text or '"' in text:
        return False
    runs = text.split()
    words = [w for run in runs for w in _content_words(run)]
    if _SENTENCE.search(text) and len(words) >= 2:
        return True
    return max((len(_content_words(run)) for run in runs), default=0) >= NATURAL_MIN_WORDS or (
        len(words) >= NATURAL_MIN_KEYWORDS
    )


def _content_words(text: str) -> list[str]:
    return [w for w, _, _ in default_segmenter().words(text) if w not in FUNCTION_WORDS and _is_word(w)]


_NUMBERISH = re.compile(r"[\d.,%‰]+")
# Single characters that say nothing about the technology (besides FUNCTION_WORDS); 氢, 煤, 奶, 铽 … stay.
_GENERIC_CHARS = frozenset("不也又还就都很更最已所之且若则因故即每各某使让给比较约达至内外后前时点大小多少新好高低")


def _is_word(word: str) -> bool:
    """Not an enumerator, a figure or a stray letter ("1", "30%", "500", "a"), nor a generic single character:
    in a pasted need they are rare in the corpus, so they would pass for key terms while saying nothing."""
    if word in _GENERIC_CHARS:
        return False
    return not (word.isascii() and (len(word) == 1 or _NUMBERISH.fullmatch(word)))


def query_terms(node: Node | None) -> list[str]:
    """The positive words and phrases of title/abstract/claims/applicant/inventor fields, in query order."""
    if node is None or isinstance(node, (Not, DateRange, IdSet)):
        return []
    if isinstance(node, (Term, Phrase, Words)):
        return [node.text] if node.field in TEXT_FIELDS or node.field in NAME_FIELDS else []
    return [term for child in node.children for term in query_terms(child)]


def query_text(node: Node | None) -> str:
    """Plain text of a query (for the semantic side and highlighting)."""
    return " ".join(query_terms(node))


def is_free_text(node: Node | None) -> bool:
    """Plain words and phrases over title/abstract/claims, as opposed to a query with field codes, operators
    or dates: those state exact conditions that every result, semantic ones included, must meet."""
    if node is None:
        return True
    if isinstance(node, Term | Phrase | Words):
        return node.field == DEFAULT_FIELD
    if isinstance(node, And):
        return all(is_free_text(child) for child in node.children)
    return False


def any_of(node: Node | None) -> Node | None:
    """Free text read as natural language: any of its words may match (ranked by BM25), not all of them.
    A hybrid search's lexical side uses it, since a sentence rarely has every one of its words in a patent
    (and a Chinese sentence is one term to the parser: its words come from the segmenter)."""
    if node is not None and is_free_text(node):
        return Words(query_text(node))
    return node


def normalise_ipc(code: str) -> str:
    """IPC codes are indexed and matched upper-case without spaces ("H01F 1/057" → "H01F1/057")."""
    return "".join(fold(code).split()).upper()


DocFreq = Callable[[str], tuple[int, int]]  # word → (documents whose abstract or title holds it, documents)
MAX_KEY_TERMS = 16  # the words of a long text that rank it; the rest add noise and time
NAME_PIN_BOOST = 20.0  # a text that is exactly an applicant's name puts that applicant's patents first


def key_terms(words: list[str], doc_freq: DocFreq | None) -> list[tuple[str, float]]:
    """The content words of a natural text with weights: frequent in the text and rare in the corpus rank first
    (TF-IDF); a word no patent contains is left out, so it cannot keep others from matching."""
    counts = Counter(w for w in words if w not in FUNCTION_WORDS and _is_word(w))
    if not counts:
        counts = Counter(words)
    scored = []
    for word, tf in counts.items():
        df, total = doc_freq(word) if doc_freq else (1, 2)
        if df == 0:
            continue
        scored.append((word, (1.0 + math.log(tf)) * math.log(1.0 + (total - df + 0.5) / (df + 0.5))))
    scored.sort(key=lambda item: -item[1])
    return [(word, 1.0 + math.log(counts[word])) for word, _ in scored[:MAX_KEY_TERMS]]


SHOULD_MATCH = 2


def should_match(count: int) -> int:
    """How many key terms a natural text's hit must contain: two (or the one there is). A long need is then no
    AND of all its words, and a single shared word, however rare, does not make a hit; BM25 ranks the rest."""
    return min(count, SHOULD_MATCH)


class Compiler:
    """Turns an AST into a tantivy Query for the schema of ipoc.search.lexical."""

    def __init__(self, schema: tantivy.Schema, segmenter: Segmenter, doc_freq: DocFreq | None = None) -> None:
        self.schema = schema
        self.segmenter = segmenter
        self.doc_freq = doc_freq

    def compile(self, node: Node | None) -> tantivy.Query:
        if node is None:
            return tantivy.Query.all_query()
        return self.node(node) or tantivy.Query.empty_query()

    def node(self, node: Node) -> tantivy.Query | None:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Words):
            return self.any_words(node)
        if isinstance(node, DateRange):
            return self.date_range(node)
        if isinstance(node, IdSet):
            return self.id_set(node.ids)
        if isinstance(node, Not):
            inner = self.node(node.child)
            return _all_but(inner) if inner else None
        if isinstance(node, Or):
            parts = [q for q in map(self.node, node.children) if q]
            return _boolean([(tantivy.Occur.Should, q) for q in parts])
        return self.conjunction(node)

    def conjunction(self, node: And) -> tantivy.Query | None:
        clauses = []
        for child in node.children:
            if isinstance(child, Not):
                inner = self.node(child.child)
                if inner:
                    clauses.append((tantivy.Occur.MustNot, inner))
            elif q := self.node(child):
                clauses.append((tantivy.Occur.Must, q))
        if clauses and all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return _boolean(clauses)

    def term(self, node: Term) -> tantivy.Query | None:
        if node.field == "IPC":
            return self.ipc(node.text)
        if node.field.startswith(EXTRA_FIELD_PREFIX):
            return self.kept_column(node.field.removeprefix(EXTRA_FIELD_PREFIX), node.text)
        if node.field in NAME_FIELDS:
            return self.name(node.text, node.field)
        if node.field in (*NUMBER_FIELDS, ANY_NUMBER):
            return self.number(node.text, node.field)
        words = self.segmenter.words(node.text)
        if not words:
            return None
        per_field = []
        for field, boost in TEXT_FIELDS[node.field]:
            clauses = [(tantivy.Occur.Must, self.word(field, word)) for word, _, _ in words]
            if len(words) > 1:  # contiguous words: adjacency ranks higher
                clauses.append((tantivy.Occur.Should, self.phrase_query(field, words)))
            per_field.append(_boost(_boolean(clauses), boost))
        text = _fields(per_field)
        if node.field != DEFAULT_FIELD or text is None:
            return text
        names = [_boost(self.name(node.text, code), NAME_PIN_BOOST) for code in NAME_FIELDS]
        return _boolean([(tantivy.Occur.Should, q) for q in (text, *names) if q is not None])

    def any_words(self, node: Words) -> tantivy.Query | None:
        """Ranked OR of the text's key terms, each weighted and matched in its best field; a hit must hold a share
        of them (``should_match``). Function words (的, 和, 如何 …) never count; single characters that carry
        meaning (氢, 煤, 奶) do."""
        terms = key_terms([w for w, _, _ in self.segmenter.words(node.text)], self._doc_freq)
        queries = [_boost(self.node(Term(w, node.field)), weight) for w, weight in terms]
        clauses = [(tantivy.Occur.Should, q) for q in queries if q is not None]
        if len(clauses) <= 1:
            return clauses[0][1] if clauses else None
        return tantivy.Query.boolean_query(clauses, minimum_number_should_match=should_match(len(clauses)))

    def _doc_freq(self, word: str) -> tuple[int, int]:
        """A word's document frequency; a word indexed only as its dictionary sub-words counts as its rarest part."""
        if self.doc_freq is None:
            return 1, 2
        df, total = self.doc_freq(word)
        if df == 0 and (cover := self.cover(word)):
            df = min(self.doc_freq(part)[0] for part, _, _ in cover)
        return df, total

    def name(self, text: str, field: str) -> tantivy.Query | None:
        """An applicant or inventor as a unit: the exact normalised name; with * (包头*, *大学, *示例*) the names
        that start with, end with or contain it."""
        key_field = NAME_FIELDS[field]
        key = name_key(text.replace("*", ""))
        if not key:
            return None
        if "*" not in text:
            return tantivy.Query.term_query(self.schema, key_field, key)
        pattern = (".*" if text.startswith("*") else "") + re.escape(key) + (".*" if text.endswith("*") else "")
        return tantivy.Query.regex_query(self.schema, key_field, pattern)

    def number(self, text: str, field: str) -> tantivy.Query | None:
        """Any notation of an application, publication or grant number, as its indexed forms."""
        forms = number_variants(text, application=field != "PN", publication=field != "AN")
        if not forms:
            return tantivy.Query.empty_query()  # AN= of something that is no application number finds none
        return tantivy.Query.term_set_query(self.schema, NUMBER_FIELD, sorted(forms))

    def word(self, field: str, word: str) -> tantivy.Query:
        """A word, or its dictionary sub-words in a row: 稀土永磁 also finds 稀土永磁材料 (indexed 稀土/永磁/材料)."""
        term = tantivy.Query.term_query(self.schema, field, word)
        cover = self.cover(word)
        if not cover:
            return term
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, term), (tantivy.Occur.Should, self.phrase_query(field, cover))]
        )

    def cover(self, word: str) -> list[tuple[str, int, int]]:
        """The longest dictionary sub-words covering a word end to end, or [] when they do not."""
        spans = [s for s in self.segmenter.spans(word, folded=True) if s[2] - s[1] < len(word)]
        cover, pos = [], 0
        while pos < len(word):
            best = max((s for s in spans if s[1] == pos), key=lambda s: s[2], default=None)
            if best is None:
                return []
            cover.append(best)
            pos = best[2]
        return cover

    def kept_column(self, key: str, text: str) -> tantivy.Query | None:
        """Every word of the text in that column (its words are indexed as key=word)."""
        words = self.segmenter.words(text)
        if not words:
            return None
        terms = [tantivy.Query.term_query(self.schema, EXTRA_FIELD, f"{key}={word}") for word, _, _ in words]
        return _boolean([(tantivy.Occur.Must, term) for term in terms])

    def phrase(self, node: Phrase) -> tantivy.Query | None:
        if node.field == "IPC" or node.field.startswith(EXTRA_FIELD_PREFIX):
            return self.term(Term(node.text, node.field))
        if node.field in (*NAME_FIELDS, *NUMBER_FIELDS, ANY_NUMBER):
            return self.term(Term(node.text, node.field))
        words = self.segmenter.words(_CJK_SPACE.sub("", node.text))
        if not words:
            return None
        fine = [part for word in words for part in (_shift(self.cover(word[0]), word[1]) or [word])]
        per_field = []
        for field, boost in TEXT_FIELDS[node.field]:
            variants = [self.phrase_query(field, words)]
            if fine != words:
                variants.append(self.phrase_query(field, fine))
            per_field.append(_boost(_boolean([(tantivy.Occur.Should, q) for q in variants]), boost))
        return _fields(per_field)

    def phrase_query(self, field: str, words: list[tuple[str, int, int]]) -> tantivy.Query:
        """Positions are character offsets, as indexed."""
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, field, words[0][0])
        base = words[0][1]
        return tantivy.Query.phrase_query(self.schema, field, [(start - base, word) for word, start, _ in words])

    def ipc(self, text: str) -> tantivy.Query | None:
        prefixes = [normalise_ipc(part) for part in re.split(r"[\s,;，；]+(?=[A-Za-zＡ-Ｚａ-ｚ])", text.strip())]
        queries = [tantivy.Query.regex_query(self.schema, IPC_FIELD, re.escape(p) + ".*") for p in prefixes if p]
        return _boolean([(tantivy.Occur.Should, q) for q in queries])

    def id_set(self, ids: Iterable[int]) -> tantivy.Query:
        """Membership adds no score: it restricts, the words rank."""
        unique = sorted({int(i) for i in ids})
        if not unique:
            return tantivy.Query.empty_query()
        return tantivy.Query.const_score_query(tantivy.Query.term_set_query(self.schema, ID_FIELD, unique), 0.0)

    def date_range(self, node: DateRange) -> tantivy.Query:
        return tantivy.Query.range_query(
            self.schema,
            DATE_FIELDS[node.field],
            tantivy.FieldType.Date,
            datetime(node.start.year, node.start.month, node.start.day) if node.start else tantivy.MIN_DATETIME,
            datetime(node.end.year, node.end.month, node.end.day) if node.end else tantivy.MAX_DATETIME,
        )


def _shift(spans: list[tuple[str, int, int]], offset: int) -> list[tuple[str, int, int]]:
    return [(word, start + offset, end + offset) for word, start, end in spans]


def _boolean(clauses: list[tuple[tantivy.Occur, tantivy.Query]]) -> tantivy.Query | None:
    if not clauses:
        return None
    if len(clauses) == 1 and clauses[0][0] != tantivy.Occur.MustNot:
        return clauses[0][1]
    return tantivy.Query.boolean_query(clauses)


def _all_but(query: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, query)]
    )


def _boost(query: tantivy.Query | None, boost: float) -> tantivy.Query | None:
    return query if query is None or boost == 1.0 else tantivy.Query.boost_query(query, boost)


def _fields(queries: list[tantivy.Query | None]) -> tantivy.Query | None:
    present = [q for q in queries if q is not None]
    if len(present) <= 1:
        return present[0] if present else None
    return tantivy.Query.disjunction_max_query(present, tie_breaker=_FIELD_TIE)
