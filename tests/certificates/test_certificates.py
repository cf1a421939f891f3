"""Certificates: issue, frozen bytes, QR, public verification, supersession, revocation,
upload check, bulk with a failing record, settings, and scope.

Each test builds its district with the factories (fixture ``scene``, on the empty
database): the issuer settings, the cadres with a level, a finished training and the
people; the counts it checks are those of the records it made."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import pdf_text

from ilp_training.certificates.services import documents as certificate_documents
from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.models import (
    BulkJob,
    Cadre,
    Certificate,
    CertificateKind,
    CertificateSettings,
    CertificateStatus,
    JobStatus,
    TrainingEvent,
    TrainingParticipant,
    TrainingStatus,
)
from ilp_training.models.training import Outcome
from tests import factories as make
from tests.helpers import sign_in

BASE = "https://ilp.example.go.id"
TOOLS = shutil.which("pdftoppm") and shutil.which("zbarimg")

# Depends on the clock: CI runs it again at a month's last evening and a year ahead.
pytestmark = pytest.mark.dates


@dataclass(frozen=True)
class Scene:
    """A district with issuer settings and two puskesmas. Posyandu ``home`` of puskesmas
    ``ours`` has 6 cadres: 2 Madya, 2 Purwa, 1 Utama (5 certificates due) and one not
    assessed; posyandu ``neighbour`` (same puskesmas) one Purwa, a third posyandu one
    Madya. A finished training of
    ``ours`` was completed by home's unassessed cadre and the neighbour's Purwa, not by
    a home Purwa (absent)."""

    district_code: str  # as in the serials, e.g. "7401"
    ours: int
    home: tuple[int, str]
    neighbour: int
    madya: tuple[int, str]  # the first Madya cadre (id, name)
    event: int
    completed: tuple[int, ...]
    not_completed: tuple[int, ...]
    coordinator: str
    trainer: str
    admin: str
    other_coordinator: str


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


@pytest.fixture
def scene(app) -> Scene:
    with app.app_context():
        regency = make.district()
        make.certificate_settings(regency)
        ours = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
        trainer = make.trainer(ours)
        on = local_today() - timedelta(days=60)
        home = make.posyandu(puskesmas_=ours)
        neighbour = make.posyandu(puskesmas_=ours)
        leveled = [make.cadre_at_level(level, posyandu_=home, assessor=trainer, on=on)
                   for level in ("madya", "madya", "purwa", "purwa", "utama")]
        new = make.cadre(posyandu_=home)
        other = make.cadre_at_level("purwa", posyandu_=neighbour, assessor=trainer, on=on)
        make.cadre_at_level("madya", posyandu_=make.posyandu(puskesmas_=ours),
                            assessor=trainer, on=on)
        coordinator = make.coordinator(ours)
        event = make.finished_training([new, other, leveled[2]], absent={leveled[2].id},
                                       actor=coordinator)
        result = Scene(
            district_code=regency.code.replace(".", ""), ours=ours.id,
            home=(home.id, home.name), neighbour=neighbour.id,
            madya=(leveled[0].id, leveled[0].full_name), event=event.id,
            completed=(new.id, other.id), not_completed=(leveled[2].id,),
            coordinator=coordinator.username, trainer=trainer.username,
            admin=make.admin(regency).username,
            other_coordinator=make.coordinator(make.puskesmas(
                subdistrict_=make.subdistrict(parent=regency))).username)
        db.session.commit()
    return result


@pytest.fixture
def as_coordinator(client, scene):
    return sign_in(client, scene.coordinator)


@pytest.fixture
def as_admin(client, scene):
    return sign_in(client, scene.admin)


@pytest.fixture(autouse=True)
def _public_base(app):
    app.config["PUBLIC_BASE_URL"] = BASE
    yield
    app.config["PUBLIC_BASE_URL"] = ""


def _issue(client, cadre_id, language="id") -> Certificate:
    response = client.post(f"/cadres/{cadre_id}/certificate", data={"language": language})
    assert response.status_code == 302, response.text[:300]
    cert_id = int(response.location.rsplit("/", 1)[-1])
    return db.session.get(Certificate, cert_id)


def _code(cert_url: str) -> str:
    return cert_url.rsplit("/", 1)[-1]


def test_issue_download_and_verify_a_madya_certificate(as_coordinator, app, client, scene):
    cadre_id, name = scene.madya
    with app.app_context():
        cert = _issue(as_coordinator, cadre_id)
        cert_id, code, serial, digest = cert.id, cert.verify_code, cert.serial, cert.sha256
    assert re.fullmatch(rf"{scene.district_code}-\d{{4}}-\d{{6}}", serial)
    assert len(code) == 22  # 128 random bits
    pdf = as_coordinator.get(f"/certificates/{cert_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    import hashlib

    assert hashlib.sha256(pdf.data).hexdigest() == digest
    text = pdf_text(pdf.data)
    assert name in text and "MADYA" in text and serial in text
    assert f"{BASE}/v/{code}" in text.replace("\n", "")  # the URL may wrap under the QR
    public = client.get(f"/v/{code}")
    assert public.status_code == 200 and name in public.text and serial in public.text


@pytest.mark.skipif(not TOOLS and not os.environ.get("REQUIRE_SYSTEM_TOOLS"),
                    reason="pdftoppm and zbarimg are not installed (poppler-utils, zbar-tools)")
def test_the_qr_code_decodes_to_the_public_page(as_coordinator, app, client, tmp_path, scene):
    cadre_id, _name = scene.madya
    with app.app_context():
        cert_id = _issue(as_coordinator, cadre_id).id
    (tmp_path / "c.pdf").write_bytes(as_coordinator.get(f"/certificates/{cert_id}.pdf").data)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "c.pdf"),
                    str(tmp_path / "c")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "c.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded.startswith(f"{BASE}/v/")
    path = decoded[len(BASE):]
    assert client.get(path + ".json").get_json()["status"] == "valid"
    client.post("/logout")
    sign_in(client, scene.admin)
    refused = client.post(f"/certificates/{cert_id}/revoke", data={"reason": "Salah orang"})
    assert refused.status_code == 422 and "Centang kotak" in refused.text  # not confirmed
    assert client.get(path + ".json").get_json()["status"] == "valid"
    client.post(f"/certificates/{cert_id}/revoke", data={"reason": "Salah orang",
                                                           "confirm": "y"})
    claim = client.get(path + ".json").get_json()
    assert claim["status"] == "revoked" and claim["revoked_on"]
    # the reason is the staff's (free text that may name a person): never public
    assert "revoke_reason" not in claim and "Salah orang" not in json.dumps(claim)
    public = client.get(path).text
    assert "dicabut pada" in public and "Salah orang" not in public
    assert "Salah orang" in client.get(f"/certificates/{cert_id}").text


def test_downloads_serve_the_frozen_bytes(as_coordinator, app, monkeypatch, scene):
    cadre_id, _name = scene.madya
    with app.app_context():
        cert_id = _issue(as_coordinator, cadre_id).id
    first = as_coordinator.get(f"/certificates/{cert_id}.pdf").data

    def changed_template(pages):  # a new template, signatory and name change nothing
        raise AssertionError("a download must not render")

    monkeypatch.setattr(certificate_documents, "render_certificates", changed_template)
    with app.app_context():
        db.session.get(Cadre, cadre_id).full_name = "Nama Lain"
        db.session.scalars(sa.select(CertificateSettings)).first().signatory_name = "Orang Lain"
        db.session.commit()
    assert as_coordinator.get(f"/certificates/{cert_id}.pdf").data == first


def test_a_name_correction_supersedes_the_old_certificate(as_coordinator, app, client, scene):
    cadre_id, _name = scene.madya
    with app.app_context():
        old = _issue(as_coordinator, cadre_id)
        old_id, old_code = old.id, old.verify_code
        db.session.get(Cadre, cadre_id).full_name = "Wa Ode Nama Benar"
        db.session.commit()
        new = _issue(as_coordinator, cadre_id)
        new_code = new.verify_code
        assert db.session.get(Certificate, old_id).status == CertificateStatus.SUPERSEDED
    claim = client.get(f"/v/{old_code}.json").get_json()
    assert claim["status"] == "superseded" and claim["superseded_by"] == new_code
    assert f"/v/{new_code}" in client.get(f"/v/{old_code}").text
    assert client.get(f"/v/{new_code}.json").get_json()["holder_name"] == "Wa Ode Nama Benar"


def test_nothing_is_due_twice(as_coordinator, app, scene):
    cadre_id, _name = scene.madya
    with app.app_context():
        _issue(as_coordinator, cadre_id)
        cert_id = db.session.scalar(sa.select(Certificate.id).where(
            Certificate.cadre_id == cadre_id))
    as_coordinator.post("/language", data={"lang": "en"})
    again = as_coordinator.post(f"/cadres/{cadre_id}/certificate", data={"language": "id"})
    assert again.location.endswith(f"/certificates/{cert_id}")  # the one already issued
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
            Certificate.cadre_id == cadre_id)) == 1
    assert "was already issued" in as_coordinator.get(again.location).text


def test_upload_check_accepts_only_the_issued_bytes(as_coordinator, app, client, scene):
    cadre_id, _name = scene.madya
    with app.app_context():
        cert_id = _issue(as_coordinator, cadre_id).id
    data = as_coordinator.get(f"/certificates/{cert_id}.pdf").data

    def check(payload: bytes, name: str = "c.pdf"):
        return client.post("/v/check", data={"document": (io.BytesIO(payload), name)},
                           content_type="multipart/form-data")

    client.post("/language", data={"lang": "en"})
    assert "Genuine: this file is certificate" in check(data).text
    forged = check(data + b"\n% one more line")
    assert forged.status_code == 200 and "Not genuine" in forged.text
    not_pdf = check(b"hello", "c.txt")
    assert not_pdf.status_code == 422 and "This is not a PDF file" in not_pdf.text


def test_public_pages_show_no_personal_data(as_coordinator, app, client, scene):
    cadre_id, _name = scene.madya
    with app.app_context():
        cert = _issue(as_coordinator, cadre_id)
        code = cert.verify_code
        cadre = db.session.get(Cadre, cadre_id)
        private = [v for v in (cadre.nik, cadre.phone, cadre.birth_date.isoformat(),
                               cadre.nik and cadre.nik[:6]) if v]
    page = client.get(f"/v/{code}").text
    data = json.dumps(client.get(f"/v/{code}.json").get_json())
    for value in private:
        assert value not in page and value not in data


def test_unknown_code_is_a_404_page_and_json(client):
    page = client.get("/v/tidak-ada-kode")
    assert page.status_code == 404 and "<html" in page.text
    assert client.get("/v/tidak-ada-kode.json").get_json()["error"]["code"] == 404


def test_verification_is_rate_limited(app, client):
    """Counted like sign-ins (``throttle.attempt``: recorded first, counted with itself),
    so a refused client stays refused and is told when to come back."""
    app.config["VERIFY_RATE_LIMIT"] = 3
    try:
        answers = [client.get("/v/abc") for _ in range(4)]
        late = client.get("/v/abc.json")
    finally:
        app.config["VERIFY_RATE_LIMIT"] = 60
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert late.status_code == 429 and late.get_json()["error"]["code"] == 429
    assert 1 <= int(late.headers["Retry-After"]) <= 60


def test_issuing_is_scoped(client, app, scene):
    cadre_id, _name = scene.madya
    url = f"/cadres/{cadre_id}/certificate"
    sign_in(client, scene.other_coordinator)
    assert client.post(url, data={"language": "id"}).status_code == 404
    client.post("/logout")
    sign_in(client, scene.trainer)  # a trainer assesses but does not issue
    assert client.post(url, data={"language": "id"}).status_code == 403


@pytest.fixture
def worker(app):
    """Tasks are queued as in production and run, when called, the way ``flask worker``
    runs them: in an app context, outside any request."""
    from ilp_training.core.queue import queue

    huey = queue(app).huey
    huey.immediate_use_memory = False  # keep the in-memory queue of immediate mode
    huey.immediate = False

    def run() -> int:
        ran = 0
        with app.app_context():
            while (task := huey.dequeue()) is not None:
                huey.execute(task)
                ran += 1
        return ran

    yield run
    huey.immediate = True
    huey.immediate_use_memory = True


def test_bulk_issues_every_due_certificate_and_reports_a_failure_by_name(
        as_coordinator, app, worker, scene):
    anggrek_id = scene.home[0]
    with app.app_context():
        due = db.session.scalars(sa.select(Cadre).where(
            Cadre.posyandu_id == anggrek_id, Cadre.level_code.is_not(None))).all()
        broken = due[0]
        broken.full_name = "Wa Ode 王芳"  # letters the certificate font cannot print
        db.session.commit()
        total = len(due)
    assert total == 5
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"posyandu:{anggrek_id}", "language": "en"})
    assert response.status_code == 302
    assert "progress" in as_coordinator.get(response.location).text  # queued, not yet run
    assert worker() == 1  # 5 cadres: one part
    job_page = as_coordinator.get(response.location)
    assert "Wa Ode 王芳" in job_page.text
    with app.app_context():
        job = db.session.scalars(sa.select(BulkJob).order_by(BulkJob.id.desc())).first()
        assert job.status == JobStatus.DONE and (job.done, job.failed) == (total - 1, 1)
        issued = db.session.scalars(sa.select(Certificate).where(
            Certificate.bulk_job_id == job.id)).all()
        print_file = job.result_pdf
        names = {c.holder_name for c in issued}
        stored = [(c.holder_name, c.pdf) for c in issued]
    assert len(stored) == total - 1
    for name, pdf in stored:  # cut from one document: each file holds its own page only
        text = pdf_text(pdf)
        assert name in text and "CERTIFICATE" in text and "Check this certificate" in text
        assert not any(other in text for other in names - {name})
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(print_file)).pages) == total - 1
    status = as_coordinator.get(response.location + ".json").get_json()
    assert status["finished"] and status["done"] == total - 1


def test_a_second_job_for_an_overlapping_place_is_refused_while_one_is_open(
        as_coordinator, app, worker, scene):
    anggrek_id, puskesmas_id, other = scene.home[0], scene.ours, scene.neighbour
    as_coordinator.post("/language", data={"lang": "en"})
    first = as_coordinator.post("/certificates/bulk", data={
        "target": f"posyandu:{anggrek_id}", "language": "id"})
    for target in (f"posyandu:{anggrek_id}", f"puskesmas:{puskesmas_id}"):
        again = as_coordinator.post("/certificates/bulk", data={"target": target,
                                                                "language": "id"})
        assert again.location == first.location, target  # the open job, not a new one
    assert "already being issued" in as_coordinator.get(first.location).text
    beside = as_coordinator.post("/certificates/bulk", data={  # another posyandu: no overlap
        "target": f"posyandu:{other}", "language": "id"})
    assert "/jobs/" in beside.location and beside.location != first.location
    worker()
    after = as_coordinator.post("/certificates/bulk", data={  # closed: a new job may start
        "target": f"puskesmas:{puskesmas_id}", "language": "id"})
    assert "/jobs/" in after.location and after.location not in (first.location,
                                                                 beside.location)
    worker()
    with app.app_context():
        counts = db.session.execute(sa.select(Certificate.cadre_id, sa.func.count())
                                    .where(Certificate.status == CertificateStatus.VALID)
                                    .group_by(Certificate.cadre_id)).all()
    assert counts and all(n == 1 for _cadre, n in counts)


def test_the_print_file_holds_only_valid_certificates(as_coordinator, app, worker, client,
                                                      scene):
    anggrek_id = scene.home[0]
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"posyandu:{anggrek_id}", "language": "id"})
    worker()
    with app.app_context():
        job_id = int(response.location.rsplit("/", 1)[-1])
        certs = db.session.scalars(sa.select(Certificate).where(
            Certificate.bulk_job_id == job_id).order_by(Certificate.id)).all()
        revoked_id, revoked_name = certs[0].id, certs[0].holder_name
        renamed_id = certs[1].cadre_id
        total = len(certs)
    print_url = f"/certificates/jobs/{job_id}.pdf"
    assert pdf_text(as_coordinator.get(print_url).data).count("SERTIFIKAT") == total
    client.post("/logout")
    sign_in(client, scene.admin)
    client.post(f"/certificates/{revoked_id}/revoke", data={"reason": "Salah", "confirm": "y"})
    with app.app_context():  # a corrected name: the new certificate supersedes the old
        db.session.get(Cadre, renamed_id).full_name = "Wa Ode Nama Baru"
        db.session.commit()
    client.post(f"/cadres/{renamed_id}/certificate", data={"language": "id"})
    text = pdf_text(client.get(print_url).data)
    assert text.count("SERTIFIKAT") == total - 2
    assert revoked_name not in text


def test_pages_of_two_issuers_get_their_own_shared_layer(app):
    claim = {"kind": "training", "holder_name": "Wa Ode", "serial": "7414-2026-000001",
             "issued_on": "2026-11-02", "skills": [],
             "event": {"title": "Pelatihan", "start_date": "2026-11-01",
                       "end_date": "2026-11-01", "venue": "Lakudo", "organiser": "PKM"}}
    issuers = [{"name": f"Puskesmas {place}", "place": place, "signatory_name": f"dr. {place}",
                "signatory_title": "Kepala", "signatory_nip": None}
               for place in ("Lakudo", "Mawasangka")]
    with app.test_request_context():
        pages = [certificate_documents.page_context(
            {**claim, "issuer": issuer, "holder_name": f"Kader {i}"}, "id",
            f"{BASE}/v/code{i}", None) for i, issuer in enumerate(issuers * 2)]
        whole, singles = certificate_documents.render_certificate_files(pages)
    for i, single in enumerate(singles):
        text = pdf_text(single)
        own, other = ("Lakudo", "Mawasangka")[::1 if i % 2 == 0 else -1]
        assert f"Kader {i}" in text and f"dr. {own}" in text and f"dr. {other}" not in text
    assert pdf_text(whole).count("dr. Mawasangka") == 2


@pytest.mark.parametrize(("emblem", "message"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x/y.png"/></svg>', "outside"),
    (b"GIF89a....", "PNG or SVG"),
])
def test_emblem_upload_is_validated(as_admin, emblem, message):
    as_admin.post("/language", data={"lang": "en"})
    response = as_admin.post("/certificates/settings", data={
        "target": "district", "issuer_name": "Dinkes", "signatory_name": "dr. X",
        "signatory_title": "Kepala", "signatory_nip": "", "place": "Labungkari",
        "emblem": (io.BytesIO(emblem), "emblem.svg")}, content_type="multipart/form-data")
    assert response.status_code == 200 and message in response.text
    assert 'value="dr. X"' in response.text


def test_settings_save_a_valid_png_emblem(as_admin, app):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "green").save(buffer, "PNG")
    response = as_admin.post("/certificates/settings", data={
        "target": "district", "issuer_name": "Dinkes Buteng", "signatory_name": "dr. Y",
        "signatory_title": "Kepala", "signatory_nip": "197501012005012001",
        "place": "Labungkari", "emblem": (io.BytesIO(buffer.getvalue()), "e.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalars(sa.select(CertificateSettings).where(
            CertificateSettings.puskesmas_id.is_(None))).one()
        assert row.emblem_mime == "image/png" and row.signatory_name == "dr. Y"


def _finished_training(app) -> tuple[int, list[int], list[int]]:
    """The finished training: its id, the cadres who completed it and those who did not
    (as the database says)."""
    with app.app_context():
        event = db.session.scalars(sa.select(TrainingEvent).where(
            TrainingEvent.status == TrainingStatus.FINISHED).order_by(TrainingEvent.id)).one()
        rows = db.session.execute(sa.select(TrainingParticipant.cadre_id,
                                            TrainingParticipant.outcome)
                                  .where(TrainingParticipant.event_id == event.id)).all()
        return (event.id, [c for c, o in rows if o == Outcome.COMPLETED],
                [c for c, o in rows if o != Outcome.COMPLETED])


def test_a_completed_training_is_certified_and_verifiable(as_coordinator, app, client,
                                                          scene):
    event_id, completed, not_completed = _finished_training(app)
    assert (set(completed), set(not_completed)) == (set(scene.completed),
                                                    set(scene.not_completed))
    profile = as_coordinator.get(f"/cadres/{completed[0]}")
    assert f'name="event" value="{event_id}"' in profile.text
    assert f'name="event" value="{event_id}"' not in as_coordinator.get(
        f"/cadres/{not_completed[0]}").text
    with app.app_context():
        cert = _issue_training(as_coordinator, completed[0], event_id)
        assert cert.kind == CertificateKind.TRAINING and cert.training_event_id == event_id
        title, code = db.session.get(TrainingEvent, event_id).title, cert.verify_code
        assert title in pdf_text(cert.pdf)
    claim = client.get(f"/v/{code}.json").get_json()
    assert claim["status"] == "valid" and claim["event"]["title"] == title
    assert "level" not in claim and claim["skills"]
    assert title in client.get(f"/v/{code}").text
    # nothing is due twice; a cadre who did not complete cannot be certified
    again = as_coordinator.post(f"/cadres/{completed[0]}/certificate",
                                data={"language": "id", "event": str(event_id)})
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
            Certificate.training_event_id == event_id)) == 1
    as_coordinator.post(f"/cadres/{not_completed[0]}/certificate",
                        data={"language": "id", "event": str(event_id)})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
            Certificate.cadre_id == not_completed[0],
            Certificate.kind == CertificateKind.TRAINING)) == 0


def _issue_training(client, cadre_id, event_id) -> Certificate:
    response = client.post(f"/cadres/{cadre_id}/certificate",
                           data={"language": "en", "event": str(event_id)})
    assert response.status_code == 302 and "/certificates/" in response.location, \
        response.location
    return db.session.get(Certificate, int(response.location.rsplit("/", 1)[-1]))


def test_bulk_issues_the_certificates_of_a_training_event(as_coordinator, app, worker):
    event_id, completed, _rest = _finished_training(app)
    link = f"/certificates/?target=training:{event_id}"
    assert f'href="{link}#bulk"' in as_coordinator.get(f"/trainings/{event_id}").text
    index = as_coordinator.get(link).text
    assert re.search(rf'<option selected value="training:{event_id}"|'
                     rf'<option value="training:{event_id}" selected', index), index[:200]
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"training:{event_id}", "language": "id"})
    assert response.status_code == 302 and "/jobs/" in response.location
    worker()
    with app.app_context():
        issued = db.session.scalars(sa.select(Certificate.cadre_id).where(
            Certificate.training_event_id == event_id)).all()
    assert sorted(issued) == sorted(completed)


def test_a_training_of_another_area_is_out_of_scope(client, app, scene):
    event_id, _completed, _rest = _finished_training(app)
    sign_in(client, scene.other_coordinator)
    response = client.post("/certificates/bulk", data={
        "target": f"training:{event_id}", "language": "id"})
    assert response.status_code in (302, 404)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(
            Certificate.training_event_id == event_id)) == 0


def test_bulk_needs_the_public_address(as_coordinator, app, scene):
    app.config["PUBLIC_BASE_URL"] = ""
    anggrek_id = scene.home[0]
    with app.app_context():
        jobs = db.session.scalar(sa.select(sa.func.count(BulkJob.id)))
    as_coordinator.post("/language", data={"lang": "en"})
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"posyandu:{anggrek_id}", "language": "id"}, follow_redirects=True)
    assert "PUBLIC_BASE_URL" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(BulkJob.id))) == jobs


def _due_line(html: str, name: str) -> str:
    match = re.search(rf">{re.escape(name)}</a>[^<]*:\s*([^<]+)</li>", html)
    return match.group(1).strip() if match else ""


def test_the_certificates_page_counts_what_is_due_in_the_area(as_coordinator, app, client, scene):
    event_id, completed, _rest = _finished_training(app)
    with app.app_context():
        title = db.session.get(TrainingEvent, event_id).title
    page = as_coordinator.get("/certificates/").text
    home = f"Posyandu {scene.home[1]}"
    assert _due_line(page, home) == "5 sertifikat siap terbit"
    assert f"{len(completed)} sertifikat siap terbit" in page.split(title, 1)[1][:200]
    cadre_id, _name = scene.madya
    with app.app_context():
        _issue(as_coordinator, cadre_id)
    assert _due_line(as_coordinator.get("/certificates/").text,
                     home) == "4 sertifikat siap terbit"
    client.post("/logout")
    sign_in(client, scene.other_coordinator)  # another puskesmas: neither home nor the event
    other = client.get("/certificates/").text
    assert "Sertifikat yang siap terbit" in other
    assert home not in other and title not in other


def test_a_part_run_again_after_its_worker_died_reuses_its_serials(as_coordinator, app,
                                                                  worker, scene):
    from ilp_training.certificates.jobs import recover_jobs, take_part
    from ilp_training.models import AuditEntry, BulkJobPart

    anggrek_id = scene.home[0]
    response = as_coordinator.post("/certificates/bulk", data={
        "target": f"posyandu:{anggrek_id}", "language": "id"})
    job_id = int(response.location.rsplit("/", 1)[-1])
    with app.app_context():  # a worker on another machine takes the part, then dies
        app.config["BULK_LEASE_SECONDS"] = -1  # its lease has run out
        try:
            take_part(job_id, 0, "elsewhere:1")
        finally:
            app.config["BULK_LEASE_SECONDS"] = 600
        reserved = db.session.get(BulkJobPart, (job_id, 0)).serials
        first = db.session.scalars(sa.select(Cadre).where(
            Cadre.id == int(next(iter(reserved))))).one()
        first_id, first_serial = first.id, reserved[str(first.id)]
    single = as_coordinator.post(f"/cadres/{first_id}/certificate", data={"language": "id"})
    assert single.status_code == 302  # issued meanwhile, with a serial of its own
    worker()  # the queued task: the part is leased elsewhere (expired), so it runs
    with app.app_context():
        assert recover_jobs() == ([], [])  # nothing left to take up
        job = db.session.get(BulkJob, job_id)
        assert job.status == JobStatus.DONE and job.failed == 1
        issued = dict(db.session.execute(sa.select(Certificate.cadre_id, Certificate.serial)
                                         .where(Certificate.bulk_job_id == job_id)).all())
        assert issued == {int(c): s for c, s in reserved.items() if int(c) != first_id}
        voided = db.session.scalars(sa.select(AuditEntry.changes).where(
            AuditEntry.action == "void_serials", AuditEntry.entity_id == job_id)).all()
        assert [v["serials"][1] for v in voided] == [[first_serial]]
