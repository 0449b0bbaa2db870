"""Evidence files: size, type and content checks, the optional scanner (fail closed), and downloads that are
always attachments and only for those who may see the owning record."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from ipoc.applications import service as applications
from ipoc.errors import InvalidInput
from ipoc.files import service as files
from ipoc.files.models import Attachment
from ipoc.uploads import Upload
from tests.conftest import csrf_of, login, post_form
from tests.worlds.dossiers import World, make_dossier, make_world

WORLD = make_world  # the conftest's `world`

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("建设方案")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def _store(w: World, app_id: int, filename: str, content: bytes, purpose: str = "condition:1") -> Attachment:
    upload = Upload.of_bytes(filename, content)
    return applications.add_attachment(w.session, w.applicant, app_id, upload, purpose)


def _stored_files(instance) -> list[Path]:
    root = instance.uploads_dir / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_refused_uploads_leave_nothing_behind(instance, world):
    instance.attachment_max_mb = 1
    app = make_dossier(world, complete=False)
    cases = [
        ("big.pdf", PDF + b"0" * (1024 * 1024), "大小上限"),
        ("empty.pdf", b"", "文件为空"),
        ("tool.exe", EXE, "不支持的文件类型"),
        ("page.html", HTML, "不支持的文件类型"),
        ("noextension", PDF, "不支持的文件类型"),
        ("invoice.pdf", EXE, "文件内容与扩展名不符"),
        ("notice.pdf", HTML, "文件内容与扩展名不符"),
        ("photo.pdf", _png(), "文件内容与扩展名不符"),
        ("scan.png", PDF, "文件内容与扩展名不符"),
        ("plan.docx", _zip({"readme.txt": "not a document"}), "文件内容与扩展名不符"),
        ("sheet.xlsx", _docx(), "文件内容与扩展名不符"),
        ("seal.ofd", _xlsx(), "文件内容与扩展名不符"),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 40, "文件内容与扩展名不符"),
    ]
    for filename, content, message in cases:
        with pytest.raises(InvalidInput, match=message) as exc:
            _store(world, app.id, filename, content)
        assert exc.value.field == "file", filename
        world.session.rollback()
        assert _stored_files(instance) == [], filename
    with pytest.raises(InvalidInput) as exc:
        _store(world, app.id, "ok.pdf", PDF, purpose="anything")
    assert exc.value.field == "purpose"
    assert world.session.scalar(select(func.count(Attachment.id))) == 0


def test_the_local_scanner_decides_and_fails_closed(instance, world, tmp_path):
    app = make_dossier(world, complete=False)
    infected = tmp_path / "infected.sh"
    infected.write_text("#!/bin/sh\nexit 1\n")
    clean = tmp_path / "clean.sh"
    clean.write_text('#!/bin/sh\ntest -s "$1"\n')  # clean only if it was handed the stored bytes
    for script in (infected, clean):
        script.chmod(0o755)

    instance.scan_command = str(infected)
    with pytest.raises(InvalidInput, match="未通过病毒扫描"):
        _store(world, app.id, "a.pdf", PDF)
    world.session.rollback()
    assert _stored_files(instance) == []

    instance.scan_command = str(tmp_path / "no-such-scanner") + " --quiet"
    with pytest.raises(InvalidInput, match="病毒扫描程序无法运行"):
        _store(world, app.id, "a.pdf", PDF)
    world.session.rollback()
    assert _stored_files(instance) == []

    instance.scan_command = f"/bin/sh {clean}"
    att = _store(world, app.id, "a.pdf", PDF)
    assert att.id and files.path_of(att).read_bytes() == PDF and _stored_files(instance) == [files.path_of(att)]


def test_real_files_are_accepted_and_always_downloaded(client, world):
    app = make_dossier(world, complete=False)
    samples = {
        "条件一 规划.pdf": (PDF, "application/pdf"),
        "场所.png": (_png(), "image/png"),
        "场所.JPG": (JPEG, "image/jpeg"),
        "方案.docx": (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "经费.xlsx": (_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "批复.ofd": (_zip({"OFD.xml": "<ofd:OFD/>", "Doc_0/Document.xml": "<doc/>"}), "application/ofd"),
    }
    login(client, "applicant")
    ids = {}
    for name, (content, content_type) in samples.items():
        response = client.post(
            f"/api/v1/applications/{app.id}/attachments",
            data={"purpose": "condition:1"},
            files={"file": (f"../../{name}", content, "text/html")},
            headers={"x-csrf-token": csrf_of(client)},
        )
        assert response.status_code == 201, (name, response.text)
        data = response.json()
        assert data["filename"] == name and data["content_type"] == content_type and data["size"] == len(content)
        ids[name] = data["id"]

    download = client.get(f"/files/{ids['条件一 规划.pdf']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E6%9D%A1%E4%BB%B6%E4%B8%80%20%E8%A7%84%E5%88%92.pdf"
        in download.headers["content-disposition"]
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "sandbox"
    assert download.headers["content-type"].startswith("application/pdf")

    page = client.get(f"/applications/{app.id}").text
    assert f'href="/files/{ids["方案.docx"]}"' in page
    web = client.post(
        f"/applications/{app.id}/attachments",
        data={"purpose": "condition:2", "csrf_token": csrf_of(client)},
        files={"file": ("伪装.pdf", HTML, "application/pdf")},
    )
    assert web.status_code == 422 and "文件内容与扩展名不符" in web.text

    pdf_id = ids["条件一 规划.pdf"]
    login(client, "baotou")
    assert client.get(f"/files/{pdf_id}").status_code == 200
    for stranger in ("chifeng", "other_member", "expert"):
        login(client, stranger)
        assert client.get(f"/files/{pdf_id}").status_code == 404, stranger
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert client.get(f"/files/{pdf_id}").status_code == 404
    sha256 = world.session.get(Attachment, pdf_id).sha256
    unowned = Attachment(owner_type="nobody", owner_id=app.id, filename="x.pdf", content_type="", size=1, sha256=sha256)
    world.session.add(unowned)
    world.session.commit()
    login(client, "admin")
    assert client.get(f"/files/{pdf_id}").status_code == 200
    assert client.get(f"/files/{unowned.id}").status_code == 404


def test_only_the_applicant_removes_files_and_only_while_editable(client, world):
    app = make_dossier(world)
    login(client, "applicant")
    uploaded = client.post(
        f"/api/v1/applications/{app.id}/attachments",
        data={"purpose": "other"},
        files={"file": ("附件.pdf", PDF, "application/pdf")},
        headers={"x-csrf-token": csrf_of(client)},
    ).json()
    extra = client.post(
        f"/api/v1/applications/{app.id}/attachments",
        data={"purpose": "other"},
        files={"file": ("附件二.pdf", PDF, "application/pdf")},
        headers={"x-csrf-token": csrf_of(client)},
    ).json()
    assert post_form(client, f"/applications/{app.id}/attachments/{extra['id']}/delete", {}).status_code == 303
    applications.take_action(world.session, world.applicant, app.id, "submit")
    world.session.commit()

    def delete(att_id: int):
        return client.delete(
            f"/api/v1/applications/{app.id}/attachments/{att_id}", headers={"x-csrf-token": csrf_of(client)}
        )

    assert delete(uploaded["id"]).status_code == 409
    late = client.post(
        f"/api/v1/applications/{app.id}/attachments",
        data={"purpose": "other"},
        files={"file": ("补充.pdf", PDF, "application/pdf")},
        headers={"x-csrf-token": csrf_of(client)},
    )
    assert late.status_code == 409
    login(client, "baotou")
    assert delete(uploaded["id"]).status_code == 403
    applications.take_action(world.session, world.bureau, app.id, "return", "请补充")
    world.session.commit()
    login(client, "applicant")
    assert delete(uploaded["id"]).status_code == 204
    remaining = world.session.scalars(select(Attachment.purpose).where(Attachment.owner_id == app.id)).all()
    assert sorted(remaining) == sorted(f"condition:{n}" for n in range(1, 6))
