"""Every real export in the shared data imported through the real importer, on SQLite and PostgreSQL: the counts, the
identity each record gets (application number, else publication number of its own office, else, for the sets that
carry no patent number at all, a source key made from the export's own record id), and the reasons for what is
refused."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoc.cli import app as cli
from ipoc.db import session_scope
from ipoc.patents.models import Patent, PatentApplicant
from ipoc.patents.numbers import normalise_publication_no
from tests.real_exports import GOOGLE, SHARED, TITLE_ROWS, save_xlsx, sixty_column_table

pytestmark = pytest.mark.skipif(
    not SHARED.exists(), reason=f"real sample data absent ({SHARED}); it lives outside the repository"
)


def imported(path: Path) -> dict:
    result = CliRunner().invoke(cli, ["patents", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def offices() -> Counter[str]:
    with session_scope() as session:
        return Counter(dict(session.execute(select(Patent.office, func.count()).group_by(Patent.office)).all()))


def test_cn_list_without_header_cnki_and_cpc_samples(instance):
    patent_list = imported(SHARED / "cn-patent-list" / "patents-no-header.csv")
    assert (patent_list["imported"], patent_list["rejected"]) == (124, 2)  # the two ZL numbers with typos
    cnki = imported(SHARED / "cn-cnki-export" / "cnki-material-chemistry.xlsx")
    assert (cnki["imported"], cnki["rejected"], cnki["tool"]) == (33, 0, "cnki")
    samples = [imported(SHARED / "cn-cpc-samples" / "data" / f"sample_{n}.csv") for n in ("train", "val", "test")]
    assert [(s["imported"], s["rejected"]) for s in samples] == [(19, 0)] * 3
    with session_scope() as session:
        by_link = session.scalar(select(Patent).where(Patent.publication_no == "CN108982325A"))
        assert by_link is not None and by_link.office == "CN" and by_link.kind == "invention"
        assert by_link.extra["public"] == "中国专利"  # a CNKI column no field carries, kept
        sample = session.scalar(select(Patent).where(Patent.application_no == "CN117151122A"))
        assert sample.title == "一种基于自然语言处理的银行客服会话问答处理方法及系统"
        assert sample.abstract.startswith("本发明涉及人工智能技术领域")
        assert sample.extra["labels"].startswith('["G06F')
    assert offices() == Counter({"CN": 124 + 33 + 57})


def test_every_google_export(instance):
    """9,231 rows of twelve searches, one record per document: a document in several searches is one record."""
    documents: set[str] = set()
    for name in sorted(GOOGLE):
        path = SHARED / "google-patents-exports" / name
        result = imported(path)
        assert (result["rejected"], result["tool"]) == (0, "google"), name
        with path.open(encoding="utf-8", newline="") as stream:
            ids = [row[0] for row in csv.reader(stream) if row and "-" in row[0] and row[0][:2].isalpha()]
        documents |= {normalise_publication_no(i) for i in ids}
    by_office = offices()
    assert sum(by_office.values()) <= len(documents)  # other stages of one number merge into one record
    assert by_office["CN"] > 700 and by_office["US"] > 6000 and {"EP", "WO", "JP", "KR"} <= set(by_office)
    with session_scope() as session:
        reissue = session.scalar(select(Patent).where(Patent.application_no == "USRE34476E"))
        assert reissue is not None and reissue.application_date is not None  # month/day/year read as such
        cn = session.scalar(select(Patent).where(Patent.publication_key == "CN105389980"))
        assert cn.office == "CN" and cn.kind == "invention"


def test_sixty_column_export(instance, tmp_path):
    columns, records = sixty_column_table()
    result = imported(save_xlsx(tmp_path / "sixty.xlsx", [*TITLE_ROWS, columns, *records]))
    assert (result["imported"], result["rejected"], result["tool"]) == (10, 0, "sixty")
    statuses = Counter(c["status"] for c in result["columns"])
    assert sum(statuses.values()) == 61 and set(statuses) <= {"mapped", "kept", "empty"}
    with session_scope() as session:
        first = session.scalar(select(Patent).where(Patent.application_no == "202223220665.2"))
        assert first.first_claim.startswith("1.一种无人机机载多功能盒")
        assert first.sources["title"] == first.last_job_id


def test_sets_without_any_patent_number_import_by_their_own_ids(instance, tmp_path):
    """The CCF set (a hash per record) and the Taiwan graph set (a UUID per patent node) carry no patent number:
    each record is known by a source key made from its own id, and a re-import finds the same records."""
    ccf = SHARED / "cn-patents-ccf2022"
    gold = imported(ccf / "gold-labelled.jsonl")
    assert (gold["imported"], gold["rejected"]) == (958, 0)
    everything = imported(ccf / "patents.jsonl")  # the 958 gold records again, with a model's labels
    assert (everything["imported"], everything["rejected"]) == (4097 - 958, 0)
    assert everything["updated"] + everything["unchanged"] == 958
    tw = imported(SHARED / "tw-patents")
    assert (tw["imported"], tw["rejected"], tw["warnings"]) == (8665, 0, 0)
    again = imported(shutil.make_archive(str(tmp_path / "tw-patents"), "zip", SHARED, "tw-patents"))
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 8665)
    with session_scope() as session:
        keys = session.scalars(select(Patent.application_no)).all()
        assert len(keys) == 4097 + 8665 and all(key.startswith("SRC-") for key in keys)
        first = session.scalar(select(Patent).where(Patent.title == "新型ＣＲＩＳＰＲ酶以及系統"))
        assert first.office == "TW" and first.source_id == "21db563b-5b9f-42a6-a167-f64ba356a4f8"
        assert [a.name for a in first.applicants] == ["博得學院股份有限公司", "麻省理工學院", "哈佛大學校董委員會"]
        assert first.inventors[0] == "任恩方" and first.extra["IPC小类"] == "C12N"
        assert (first.extra["申请年"], first.extra["公开年"], first.application_date) == ("2016", "2017", None)
        linked = session.scalar(select(func.count(func.distinct(PatentApplicant.patent_id))))
        assert linked == 4097 + 8665  # every record has its applicants (assignee; applicant_patent.csv)
    by_office = offices()
    assert by_office["CN"] >= 4097 and by_office["TW"] >= 8650  # by script: a few TW titles are written simplified
