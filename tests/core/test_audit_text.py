"""Every audit entry a cadre's profile can show reads as a translated sentence, in
Indonesian and in English, with no raw field name (issue 15, item 6)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import first_cadre, login, posyandu_named

from ilp_training.cadres.services import AUDITED_FIELDS
from ilp_training.core import audit
from ilp_training.core.extensions import db
from ilp_training.models import AuditEntry

# Each action recorded on a cadre, with the changes its service writes
# (cadres/services.py, scoring/services.py, the sitting migration's mark_duplicate).
CADRE_ENTRIES = {
    "create": {f: [None, "x"] for f in AUDITED_FIELDS},
    "update": {"full_name": ["a", "b"], "phone": ["1", "2"], "nik": [None, "7414"],
               "birth_date": [None, "1990-01-01"], "bpjs_tk_enrolled": [False, True],
               "bpjs_tk_number": [None, "123"], "start_date": [None, "2020-01-01"],
               "sex": ["F", "M"]},
    "move": {"posyandu_id": [1, 2]},
    "deactivate": {"status": ["active", "inactive"], "inactive_reason": [None, "pindah"],
                   "inactive_since": [None, "2026-01-01"]},
    "reactivate": {"status": ["inactive", "active"], "inactive_reason": ["pindah", None],
                   "inactive_since": ["2026-01-01", None]},
    "assess": {"skill": [None, "A1"], "competent": [None, True]},
    "correct": {"skill": [None, "A1"], "competent": [None, False], "supersedes": [None, 5],
                "reason": [None, "salah ketik"]},
    "level_history": {"level_history": [["2026-01-01: → purwa"], []]},
    "mark_duplicate": {"assessment": [None, 4], "duplicate_of": [None, 3],
                       "reason": [None, "dua kali"]},
}
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _labels(app, lang: str) -> dict[str, str]:
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(lang):
        return {key: str(label) for key, label in audit.FIELD_LABELS.items()}


# Words of the sentences themselves that are also keys: the outcome ("competent"), and
# where a field's translated name is the key itself (Indonesian "status", "posyandu").
SENTENCE_WORDS = {"en": {"competent"}, "id": set()}


def _raw_keys(sentence: str, keys, labels: dict[str, str], lang: str) -> list[str]:
    """The changes' keys found as words in the sentence and not explained by the
    translated field names or the sentence's own words."""
    found = SNAKE.findall(sentence)
    for key in keys:
        if key in labels.get(key, "").split() or key in SENTENCE_WORDS[lang]:
            continue
        if re.search(rf"\b{re.escape(key)}\b", sentence):
            found.append(key)
    return found


def test_every_recorded_field_has_a_name():
    recorded = set(AUDITED_FIELDS) | {k for changes in CADRE_ENTRIES.values() for k in changes}
    assert recorded <= set(audit.FIELD_LABELS)
    assert set(CADRE_ENTRIES) <= set(audit.ACTION_LABELS)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("action", sorted(CADRE_ENTRIES))
def test_each_cadre_action_is_a_sentence(app, action, lang):
    from flask_babel import force_locale

    changes = CADRE_ENTRIES[action]
    entry = AuditEntry(action=action, entity="cadre", entity_id=1, changes=changes)
    with app.test_request_context(), force_locale(lang):
        sentence = audit.describe(entry)
        other = "en" if lang == "id" else "id"
        with force_locale(other):
            translated = audit.describe(entry)
    assert sentence and sentence != translated, (action, sentence)
    assert _raw_keys(sentence, changes, _labels(app, lang), lang) == [], (action, sentence)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_profile_shows_each_action_translated(client, app, lang):
    with app.app_context():
        cadre = first_cadre(posyandu_named("Anggrek"))
        cadre_id = cadre.id
        for action, changes in CADRE_ENTRIES.items():
            db.session.add(AuditEntry(action=action, entity="cadre", entity_id=cadre_id,
                                      changes=changes))
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.entity == "cadre", AuditEntry.entity_id == cadre_id))
        assert count <= 50  # the profile shows the latest 50
    login(client, "koordinator")
    client.post("/language", data={"lang": lang, "next": "/"})
    html = client.get(f"/cadres/{cadre_id}").text
    changes = html[html.index("<h2>Perubahan</h2>" if lang == "id" else "<h2>Changes</h2>"):]
    lines = [" ".join(re.sub(r"<[^>]+>", " ", li).split())
             for li in re.findall(r"<li>(.*?)</li>", changes, re.S)]
    assert len(lines) >= len(CADRE_ENTRIES)
    keys = {k for c in CADRE_ENTRIES.values() for k in c}
    labels = _labels(app, lang)
    for line in lines:
        assert _raw_keys(line, keys, labels, lang) == [], line
    text = " ".join(lines)
    if lang == "id":
        assert "dinilai pada A1 Memahami pengelolaan Posyandu dalam ILP: kompeten" in text
        assert "diubah: nama, nomor HP, NIK" in text and "dinonaktifkan (alasan: pindah)" in text
    else:
        assert "assessed A1 Understand posyandu management under ILP: competent" in text
        assert "changed: name, phone, NIK" in text
