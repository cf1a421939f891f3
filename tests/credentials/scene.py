"""A district with issuer settings and a key of its own, for modules on the empty
database (they override ``app`` with ``empty_app``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ilp_training.core.extensions import db
from ilp_training.core.i18n import local_today
from ilp_training.credentials.keys import KeyStore
from tests import factories as make

BASE = "https://ilp.example.go.id"


@dataclass(frozen=True)
class Scene:
    """Posyandu ``home`` of puskesmas ``ours`` in a new district (``code``, ``74.xx``):
    a Madya, a Purwa and an Utama cadre (certificates due), and a cadre who completed
    the finished training ``event``. The district's key directory is ``keys``."""

    code: str
    keys: Path
    home: int
    ours: int
    leveled: tuple[int, ...]
    trained: int
    event: int
    coordinator: str
    admin: str


def make_scene(app, monkeypatch, tmp_path) -> Scene:
    """Build the scene (commits; rolled back after the test) and point the app at its key
    directory and public address."""
    with app.app_context():
        regency = make.district()
        make.certificate_settings(regency)
        ours = make.puskesmas(subdistrict_=make.subdistrict(parent=regency))
        trainer = make.trainer(ours)
        on = local_today() - timedelta(days=60)
        home = make.posyandu(puskesmas_=ours)
        leveled = [make.cadre_at_level(level, posyandu_=home, assessor=trainer, on=on)
                   for level in ("madya", "purwa", "utama")]
        trained = make.cadre(posyandu_=home)
        coordinator = make.coordinator(ours)
        event = make.finished_training([trained], actor=coordinator)
        result = Scene(regency.code, tmp_path / "keys", home.id, ours.id,
                       tuple(c.id for c in leveled), trained.id, event.id,
                       coordinator.username, make.admin(regency).username)
        db.session.commit()
    KeyStore(result.keys).create(result.code, datetime(2000, 1, 1, tzinfo=UTC))
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS_DIR", str(result.keys))
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    return result


def issue(client, cadre_id: int, event_id: int | None = None) -> int:
    """Issue through the page; the certificate's id."""
    data = {"language": "id", **({"event": str(event_id)} if event_id else {})}
    response = client.post(f"/cadres/{cadre_id}/certificate", data=data)
    assert response.status_code == 302 and "/certificates/" in response.location, \
        response.text[:300]
    return int(response.location.rsplit("/", 1)[-1])
