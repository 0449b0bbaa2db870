"""The enterprise needs of CCF BDCI 2019 as demands, and the earlier need→patent labels (0–2) whose 47 needs open
the pool of benchmarks/need_pool.py.

The labels (benchmarks/quality/matching_labels.jsonl) hold only need ids and CCF 2022 patent ids (`id` hashes)
with grades; the texts stay in ../shared/data. How they were made: benchmarks/README.md, "Matching quality".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from embed_ccf_cache import DATA

NEEDS = DATA / "cn-tech-needs-ccf2019" / "needs.csv"
LABELS = Path(__file__).resolve().parent / "quality" / "matching_labels.jsonl"
_RECORD_START = re.compile(r"\n(?='[0-9a-f]{8}-[0-9a-f]{4}-)")
_RECORD = re.compile(r"'([^']+)' , '(.*?)' , '(.*)'\s*$", re.S)
# The part of a need that describes the company rather than the technology; a demand form has no such field.
_COMPANY_PART = re.compile(r"(现有工作基础|现有基础|企业基本情况|公司简介)[:：].*", re.S)


@dataclass(frozen=True, slots=True)
class Need:
    id: str
    title: str
    content: str

    @property
    def text(self) -> str:
        """The need as a demand's public text: title, then what is needed and the expected result."""
        content = _COMPANY_PART.sub("", self.content)
        content = re.sub(r"\s+", " ", content.replace("\\n", "\n")).strip()
        return f"{self.title}\n{content}"


@dataclass(frozen=True, slots=True)
class LabelledNeed:
    id: str
    relevant: dict[str, int]  # CCF record id -> grade (2 answers the need, 1 partly, 0 judged not relevant)


def load_needs(path: Path = NEEDS) -> dict[str, Need]:
    """All 276 needs by id (single-quoted fields, ` , ` between them, escaped or real line breaks inside)."""
    raw = path.read_text(encoding="utf-8").strip()
    needs = {}
    for record in _RECORD_START.split(raw):
        match = _RECORD.match(record.strip())
        if match:
            needs[match[1]] = Need(match[1], match[2].strip(), match[3])
    return needs


def load_matching_labels(path: Path = LABELS) -> list[LabelledNeed]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [LabelledNeed(row["need"], {k: int(v) for k, v in row["grades"].items()}) for row in rows]
