"""The query language: operators, phrases, field codes, date ranges and syntax errors in Chinese."""

from __future__ import annotations

from datetime import date

import pytest

from ipoc.errors import InvalidInput
from ipoc.search.query import (
    And,
    DateRange,
    IdSet,
    Not,
    Or,
    Phrase,
    Term,
    Words,
    any_of,
    is_free_text,
    parse,
    query_terms,
    query_text,
)


def test_free_words_are_an_implicit_and() -> None:
    assert parse("稀土 永磁") == And((Term("稀土"), Term("永磁")))
    assert parse("   ") is None


@pytest.mark.parametrize(
    "query",
    ["稀土 AND 永磁", "稀土 and 永磁", "稀土 与 永磁", "稀土 && 永磁", "稀土&&永磁"],
)
def test_and_spellings(query: str) -> None:
    assert parse(query) == And((Term("稀土"), Term("永磁")))


@pytest.mark.parametrize("query", ["稀土 OR 永磁", "稀土 或 永磁", "稀土 || 永磁"])
def test_or_spellings(query: str) -> None:
    assert parse(query) == Or((Term("稀土"), Term("永磁")))


@pytest.mark.parametrize("query", ["稀土 NOT 永磁", "稀土 非 永磁", "稀土 -永磁"])
def test_not_spellings(query: str) -> None:
    assert parse(query) == And((Term("稀土"), Not(Term("永磁"))))


def test_precedence_and_parentheses() -> None:
    assert parse("a OR b c") == Or((Term("a"), And((Term("b"), Term("c")))))
    assert parse("(a OR b) c") == And((Or((Term("a"), Term("b"))), Term("c")))
    assert parse("（a OR b）") == Or((Term("a"), Term("b")))  # full-width parentheses


def test_phrases() -> None:
    assert parse('"永磁 材料" 稀土') == And((Phrase("永磁 材料"), Term("稀土")))
    assert parse("“电解水制氢”") == Phrase("电解水制氢")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        *[("TI", "TI"), ("AB", "AB"), ("CL", "CL"), ("PA", "PA"), ("IN", "IN"), ("IPC", "IPC"), ("TX", "TX")],
        *[("ALL", "TX"), ("TIABC", "TX"), ("TAC", "TX"), ("TIAB", "TIAB"), ("TA", "TIAB"), ("TTL", "TI")],
        *[("AP", "PA"), ("ANS", "PA"), ("CPC", "IPC"), ("IC", "IPC"), ("ABST", "AB"), ("CLMS", "CL")],
    ],
)
def test_field_codes_of_cnipa_incopat_and_patsnap_are_aliases(typed: str, code: str) -> None:
    assert parse(f"{typed}=(稀土 OR 永磁)") == Or((Term("稀土", code), Term("永磁", code)))
    assert parse(f"{typed}:稀土") == Term("稀土", code)
    assert parse(f"{typed.lower()}=稀土") == Term("稀土", code)
    assert parse(f'{typed}="稀土 永磁"') == Phrase("稀土 永磁", code)


@pytest.mark.parametrize(("name", "code"), [("申请人", "PA"), ("发明名称", "TI"), ("摘要", "AB"), ("申请号", "AN")])
def test_chinese_field_names_count_before_an_equals_sign_only(name: str, code: str) -> None:
    assert parse(f"{name}=(稀土)") == Term("稀土", code)
    with pytest.raises(InvalidInput):
        parse(f"{name}：稀土")  # a label in pasted text, which read() then searches as natural language


def test_date_ranges() -> None:
    assert parse("AD=[2020-01-01 TO 2023-12-31]") == DateRange("AD", date(2020, 1, 1), date(2023, 12, 31))
    assert parse("PD=[2020 TO 2022]") == DateRange("PD", date(2020, 1, 1), date(2022, 12, 31))
    assert parse("AD=[2020.02 TO 2020/02]") == DateRange("AD", date(2020, 2, 1), date(2020, 2, 29))
    assert parse("AD=[20200105 TO *]") == DateRange("AD", date(2020, 1, 5), None)
    assert parse("AD=2021") == DateRange("AD", date(2021, 1, 1), date(2021, 12, 31))
    assert parse("稀土 AD=[2020 TO 2021]") == And((Term("稀土"), DateRange("AD", date(2020, 1, 1), date(2021, 12, 31))))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(稀土 OR 永磁", "第 10 个字符处缺少右括号"),
        ("稀土 OR", "第 6 个字符处缺少检索词"),
        ("稀土)", "第 3 个字符处多了一个右括号"),
        ('"稀土', "第 1 个字符处的引号没有闭合"),
        ("XX=稀土", "第 1 个字符处的字段代码“XX”无法识别"),
        ("AD=[2020-13-01 TO 2021]", "第 5 个字符处的日期“2020-13-01”无法识别"),
        ("AD=[2020 2021]", "第 10 个字符处的日期范围缺少“TO”"),
        ("AD=[2022 TO 2020]", "起始日期晚于结束日期"),
        ("AD=稀土", "的日期“稀土”无法识别"),
        ("OR 稀土", "第 1 个字符处的“OR”前缺少检索词"),
        ("TI=", "缺少“TI=”的检索内容"),
        ('""', "引号内没有内容"),
        ("=稀土", "缺少字段代码"),
    ],
)
def test_syntax_errors_say_what_and_where(query: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(query)
    assert message in caught.value.message


def test_query_terms_skip_negations_dates_and_ipc() -> None:
    node = parse('稀土 "永磁 材料" NOT 钕铁硼 IPC=H01F AD=[2020 TO 2021] TI=(叶片 OR 轮毂)')
    assert query_terms(node) == ["稀土", "永磁 材料", "叶片", "轮毂"]
    assert query_text(node) == "稀土 永磁 材料 叶片 轮毂"
    assert query_text(None) == ""


def test_id_sets_restrict_without_words() -> None:
    node = Or((Term("H01F", "IPC"), Phrase("稀土", "TX"), IdSet((3, 5))))
    assert query_terms(node) == ["稀土"]
    assert query_text(And((Term("永磁"), IdSet((1,))))) == "永磁"


@pytest.mark.parametrize(
    ("query", "free"),
    [
        ("稀土 永磁", True),
        ('"稀土永磁" 材料', True),
        ("TI=稀土", False),
        ("稀土 OR 永磁", False),
        ("稀土 NOT 永磁", False),
        ("稀土 AD=[2020 TO 2021]", False),
        ("", True),
    ],
)
def test_free_text_is_told_apart_from_conditions(query, free):
    assert is_free_text(parse(query)) is free


def test_free_text_reads_as_any_of_its_words_for_hybrid_ranking():
    assert any_of(parse("风机 叶片 结冰")) == Words("风机 叶片 结冰")
    assert any_of(parse("如何防止风机叶片结冰")) == Words("如何防止风机叶片结冰")
    assert any_of(parse("TI=叶片 结冰")) == parse("TI=叶片 结冰")  # conditions stay conditions
