"""Records known by no patent number and node/relationship graph sets, as the import tests and the upload test
write and read them."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from sqlalchemy import select

from ipoc.db import session_scope
from ipoc.patents.models import Patent


def numberless(title: str) -> Patent:
    with session_scope() as session:
        found = session.scalars(select(Patent).where(Patent.title == title)).one()
        session.expunge(found)
        return found


def write_graph(root: Path) -> Path:
    """A tiny graph set as the Taiwan set lays it out: patent nodes, links by uuid, years in files of their own."""
    ids = ["21db563b-5b9f-42a6-a167-f64ba356a4f8", "43028371-051f-44e3-83d3-5292427aa9bd"]
    files = {
        "node/patent.csv": [["title", "uuid"], ["新型酶以及系統", ids[0]], ["雙肽衍生物用於治療", ids[1]]],
        "node/applicant.csv": [["name"], ["麻省理工學院"], ["國立成功大學"]],
        "relationship/applicant_patent.csv": [["uuid", "applicant"], [ids[0], "麻省理工學院"], [ids[0], "哈佛大學"],
                                              [ids[1], "國立成功大學"]],
        "relationship/inventor_patent.csv": [["uuid", "inventor"], [ids[0], "任恩方"], [ids[1], "林大明"]],
        "relationship/ipc_patent.csv": [["ipc", "uuid"], ["C12N", ids[0]], ["A61K", ids[1]]],
        "app_year.csv": [["app_year", "UUID"], ["2016", ids[0]], ["2015", ids[1]]],
        "pub_year.csv": [["pub_year", "UUID"], ["2017", ids[0]], ["2017", ids[1]]],
    }  # fmt: skip
    for name, rows in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        with (root / name).open("w", encoding="utf-8", newline="") as stream:
            csv.writer(stream).writerows(rows)
    return root


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*.csv")):
            archive.write(file, Path(folder.name) / file.relative_to(folder))
    return target
