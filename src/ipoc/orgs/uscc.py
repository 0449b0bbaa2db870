"""统一社会信用代码 (GB 32100-2015): normalisation and a Chinese explanation of what is wrong."""

from __future__ import annotations

import unicodedata

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError


def normalise_uscc(value: str) -> str:
    """Full-width characters, spaces and lower case are common in pasted codes."""
    return unicodedata.normalize("NFKC", value).replace(" ", "").replace("-", "").upper()


def uscc_problem(value: str) -> str | None:
    """None when valid, else the reason in Chinese."""
    code = normalise_uscc(value or "")
    if not code:
        return "请填写统一社会信用代码"
    try:
        _uscc.validate(code)
    except InvalidLength:
        return f"统一社会信用代码应为 18 位，当前为 {len(code)} 位"
    except InvalidChecksum:
        return "统一社会信用代码校验位不正确，请核对"
    except (InvalidFormat, ValidationError):
        return "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）"
    return None
