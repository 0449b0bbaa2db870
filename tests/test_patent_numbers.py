"""CN application and publication numbers: check character, every notation, every way to be wrong."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ipoc.errors import InvalidInput
from ipoc.patents.numbers import (
    check_char,
    is_valid_application_no,
    kind_from_application_no,
    normalise_application_no,
    normalise_publication_no,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("202310123456", "6"),  # worked by hand: 127 mod 11
        ("00100011", "X"),  # 21 mod 11 = 10
        ("98123456", "9"),  # 196 mod 11
        ("201010110545", "X"),  # real ZL numbers from the shared CN patent list
        ("201310376205", "5"),
        ("202121635235", "X"),
    ],
)
def test_check_char(body: str, expected: str) -> None:
    assert check_char(body) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "201010110545.X",
        "201010110545X",
        "201010110545.x",
        "ZL 201010110545.X",
        "ZL201010110545.X",
        "zl201010110545x",
        "CN201010110545.X",
        "cn 201010110545.X",
        "  201010110545.X \t",
        "２０１０１０１１０５４５．Ｘ",
        "ＺＬ２０１０１０１１０５４５．ｘ",
        "ZL 2010 1011 0545.X",
    ],
)
def test_twelve_digit_notations(raw: str) -> None:
    assert normalise_application_no(raw) == "201010110545.X"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("98123456.9", "98123456.9"),
        ("ZL98123456.9", "98123456.9"),
        ("CN 981234569", "98123456.9"),
        ("９８１２３４５６．９", "98123456.9"),
        ("00100011.X", "00100011.X"),
        ("zl 00100011x", "00100011.X"),
    ],
)
def test_eight_digit_notations(raw: str, canonical: str) -> None:
    assert normalise_application_no(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "申请号为空"),
        ("   ", "申请号为空"),
        ("ZL", "申请号为空"),
        (None, "申请号为空"),
        ("20101011054.X", "位数不对"),
        ("2010101105450.X", "位数不对"),
        ("9812345.9", "位数不对"),
        ("201010110545.1", "校验位错误"),
        ("98123456.1", "校验位错误"),
        ("00100011.0", "校验位错误"),
        ("201040110545.X", "类型位"),
        ("98423456.9", "类型位"),
        ("199910110545.1", "年份"),
        ("2010101105a5.X", "非法字符"),
        ("201010110545.Y", "非法字符"),
        ("201010110545.X.", "非法字符"),
    ],
)
def test_invalid_numbers_say_why(raw: str | None, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_application_no(raw)
    assert reason in caught.value.message
    assert not is_valid_application_no(raw)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("202310123456.6", "invention"),
        ("202380123456.4", "invention"),
        ("202320123456.1", "utility_model"),
        ("202390123456.X", "utility_model"),
        ("202330123456.7", "design"),
        ("98123456.9", "invention"),
        ("ZL 202121635235.X", "utility_model"),
        ("202310123456.0", None),
    ],
)
def test_kind_from_application_no(raw: str, kind: str | None) -> None:
    assert kind_from_application_no(raw) == kind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CN 112345678 A", "CN112345678A"),
        ("CN112345678A", "CN112345678A"),
        ("cn-105389980-b", "CN105389980B"),
        ("ＣＮ２１８７５１４７５Ｕ", "CN218751475U"),
        ("112345678A", "CN112345678A"),
        ("CN1234567", "CN1234567"),
        ("US-2015112182-A1", "US20150112182A1"),  # Google's id drops the serial's leading zero
        ("US 2015/0112182 A1", "US20150112182A1"),
        ("TW-I521460-B", "TWI521460B"),
        ("JP-H05123456-A", "JPH05123456A"),
        ("WO-2015123456-A1", "WO2015123456A1"),
        ("EP 1234567 A1", "EP1234567A1"),
        ("", None),
        (None, None),
    ],
)
def test_publication_numbers(raw: str | None, expected: str | None) -> None:
    assert normalise_publication_no(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "CN12A", "538f267d2e6fba48b1286fb7f1499fe7"])
def test_malformed_publication_numbers(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_publication_no(raw)


def test_real_zl_numbers_validate() -> None:
    """Every real ZL number in the shared CN list but two known typos carry a correct check char."""
    path = SHARED / "cn-patent-list" / "patents-no-header.csv"
    if not path.exists():
        pytest.skip(f"real sample data absent ({path}); it lives outside the repository")
    with path.open(encoding="utf-8", newline="") as handle:
        numbers = [row[1] for row in csv.reader(handle) if len(row) > 1]
    invalid = sorted(n for n in numbers if not is_valid_application_no(n))
    assert len(numbers) >= 120
    assert invalid == ["ZL 201810819673.7", "ZL 201901390316.9"]
