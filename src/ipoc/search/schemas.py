"""Search requests and answers, shared by the pages, the JSON API and the CLI."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ipoc.patents.numbers import is_source_key
from ipoc.schemas import Id, Input

Mode = Literal["lexical", "semantic", "hybrid"]
Sort = Literal["relevance", "date_desc", "date_asc"]
FACETS = ("kind", "status_class", "year", "ipc_subclass", "applicant", "region_name")
FACET_LABELS = {
    "kind": "专利类型",
    "status_class": "法律状态",
    "year": "申请年",
    "ipc_subclass": "IPC 小类",
    "applicant": "申请人",
    "region_name": "盟市",
}
MAX_LIMIT = 200


def _known_facets(value: dict[str, list[str]]) -> dict[str, list[str]]:
    unknown = set(value) - set(FACETS)
    if unknown:
        raise ValueError(f"不支持的筛选项：{'、'.join(sorted(unknown))}")
    return {key: [v for v in values if v] for key, values in value.items() if any(values)}


Filters = Annotated[dict[str, list[str]], AfterValidator(_known_facets)]


class SearchRequest(Input):
    q: str = Field(default="", max_length=2000, title="检索式")
    mode: Mode = Field(default="hybrid", title="检索方式")
    sort: Sort = Field(default="relevance", title="排序")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT, title="每页条数")
    offset: int = Field(default=0, ge=0, le=100_000, title="起始位置")
    filters: Filters = Field(default_factory=dict, title="筛选")
    database_id: Id | None = Field(default=None, title="专题库")

    @field_validator("q")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class SearchHit(BaseModel):
    application_no: str
    score: float
    title: str
    patent_id: int
    kind: str | None = None
    applicants: list[str] = Field(default_factory=list)
    application_date: date | None = None
    status_class: str | None = None
    title_html: str | None = None
    abstract_html: str | None = None
    lexical_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None

    @property
    def has_number(self) -> bool:
        """False for a record known by no patent number (its key is a source key, never shown as a number)."""
        return not is_source_key(self.application_no)


class FacetValue(BaseModel):
    value: str
    count: int


class SearchAnswer(BaseModel):
    total: int
    hits: list[SearchHit]
    mode: Mode
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    degraded: bool = False
    stale: bool = False
    pending_embeddings: int = Field(default=0, description="尚无语义向量的专利数（导入后由后台任务计算）")
    natural: bool = Field(default=False, description="检索内容按自然语言理解（按相关度排序，不要求包含全部词语）")
    notice: str | None = None


class ExportIn(Input):
    search: SearchRequest = Field(default_factory=SearchRequest)
    format: Literal["xlsx", "csv"] = "xlsx"


class SavedSearchIn(Input):
    name: str = Field(min_length=1, max_length=80, title="名称")
    query: str = Field(default="", max_length=2000, title="检索式")
    filters: Filters = Field(default_factory=dict, title="筛选")
    mode: Mode = Field(default="hybrid", title="检索方式")
    database_id: Id | None = Field(default=None, title="专题库")
    notify: bool = Field(default=True, title="有新专利时提醒")


class SavedSearchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    query: str
    filters: dict[str, list[str]]
    mode: str
    database_id: int | None
    notify: bool
    new_count: int


class DictionaryTermIn(Input):
    term: str = Field(min_length=2, max_length=40, title="词条")
    note: str = Field(default="", max_length=200, title="说明")

    @field_validator("term")
    @classmethod
    def _one_word(cls, value: str) -> str:
        value = value.strip()
        if not value or any(ch.isspace() for ch in value):
            raise ValueError("词条不能为空，也不能包含空格")
        return value


class DictionaryTermOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    term: str
    note: str


class IndexStatusOut(BaseModel):
    patents: int
    documents: int
    db_rev: int
    index_rev: int
    vectors: int
    embedded: int
    missing_passages: int
    stale: bool
    building: bool
    dictionary_changed: bool
    embeddings_complete: bool
    notice: str | None

    @classmethod
    def from_status(cls, status, missing: int) -> IndexStatusOut:
        derived = {"stale": status.stale, "embeddings_complete": status.embeddings_complete, "notice": status.notice()}
        return cls(**asdict(status), **derived, missing_passages=missing)
