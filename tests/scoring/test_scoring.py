"""Scoring in the field: sessions, the grid and the full assessment, corrections,
idempotent submits, bad input, and scope. Each test builds its puskesmas, posyandu,
cadres (one of them Purwa without package D) and people with the factories, on the empty
database."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import DEMO_DAY

from ilp_training.core.extensions import db
from ilp_training.models import (
    Assessment,
    AuditEntry,
    Cadre,
    IndicatorScore,
    LevelChange,
)
from ilp_training.scoring.services import effective_assessments
from tests import factories as make
from tests.helpers import (
    SITTING_DAY,
    form_key,
    grid_scores,
    indicators,
    open_sitting,
    sign_in,
)

D_SKILLS = {"D1": 4, "D2": 4, "D3": 4}  # filled in by indicators

# Depends on the clock: CI runs it again at a month's last evening and a year ahead.
pytestmark = pytest.mark.dates


@dataclass(frozen=True)
class Scene:
    """A posyandu with a Purwa cadre (packages A, B and C, assessed 60 days before the
    demo day) and another cadre (package A), and the login names of its puskesmas's
    trainer and coordinator, its village head and a coordinator of another puskesmas."""

    posyandu: int
    cadre: int
    other: int
    trainer: str
    coordinator: str
    head: str
    outsider: str


@pytest.fixture
def app(empty_app):
    """These tests build their records on the empty database."""
    return empty_app


@pytest.fixture
def scene(empty_app) -> Scene:
    with empty_app.app_context():
        posyandu = make.posyandu()
        trainer = make.trainer(posyandu.puskesmas)
        day = DEMO_DAY - timedelta(days=60)
        purwa = make.cadre_at_level("purwa", posyandu_=posyandu, assessor=trainer, on=day)
        other = make.cadre_at_level(None, posyandu_=posyandu, assessor=trainer, on=day)
        result = Scene(posyandu.id, purwa.id, other.id, trainer.username,
                       make.coordinator(posyandu.puskesmas).username,
                       make.village_head(posyandu.village).username,
                       make.coordinator().username)
        db.session.commit()
    return result



def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_grid_scores_many_cadres_and_raises_a_level(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    other = scene.other
    session_url = open_sitting(client, posyandu_id, [cadre_id, other])
    for skill in ("D1", "D2", "D3"):
        url = f"{session_url}/skills/{skill}"
        data = {"submission_key": form_key(client, url),
                **grid_scores(cadre_id, indicators(app, skill))}
        if skill == "D1":  # the other cadre: seen, not yet competent
            data.update(grid_scores(other, indicators(app, skill), score=0))
        assert client.post(url, data=data).status_code == 302
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert cadre.level_code == "madya" and cadre.level_since.isoformat() == SITTING_DAY
        change = db.session.scalars(sa.select(LevelChange).where(
            LevelChange.cadre_id == cadre_id).order_by(LevelChange.id.desc())).first()
        assert (change.previous_code, change.level_code) == ("purwa", "madya")
        saved = effective_assessments(other)["D1"]
        assert not saved.competent and len(saved.scores) == len(indicators(app, "D1"))
        assert saved.framework_version == "2024.1"
    profile = client.get(f"/cadres/{cadre_id}").text
    assert "Madya" in profile


def test_full_assessment_scores_several_skills_of_one_cadre(client, app, scene):
    sign_in(client, scene.coordinator)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    session_url = open_sitting(client, posyandu_id, [cadre_id])
    url = f"{session_url}/cadres/{cadre_id}"
    data = {"submission_key": form_key(client, url), "note-D1": "baik sekali"}
    for skill in ("D1", "D2"):
        data.update({f"score-{code}": "2" for code in indicators(app, skill)})
    before = _count(app, Assessment)
    assert client.post(url, data=data).status_code == 302
    assert _count(app, Assessment) == before + 2
    with app.app_context():
        d1 = effective_assessments(cadre_id)["D1"]
        assert d1.competent and d1.note == "baik sekali"
        assert d1.assessor.username == scene.coordinator


def test_double_submit_creates_one_assessment(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    url = f"{open_sitting(client, posyandu_id, [cadre_id])}/skills/D1"
    data = {"submission_key": form_key(client, url), **grid_scores(cadre_id, indicators(app, "D1"))}
    before = _count(app, Assessment)
    assert client.post(url, data=data).status_code == 302
    again = client.post(url, data=data, follow_redirects=True)
    assert "sudah tersimpan" in again.text
    assert _count(app, Assessment) == before + 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"score-{cid}-D1.99": "2"}, "Indikator tidak dikenal"),
    ({"score-{cid}-D1.1": "5"}, "bukan nilai pada skala"),
    ({"score-{cid}-D1.1": "2"}, "setiap indikator"),  # partial row
    ({"score-999999-D1.1": "2"}, "tidak ada dalam sesi ini"),
])
def test_bad_grid_input_is_reported_and_nothing_saved(client, app, fields, message, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    url = f"{open_sitting(client, posyandu_id, [cadre_id])}/skills/D1"
    data = {"submission_key": form_key(client, url), f"note-{cadre_id}": "catatan saya"}
    data.update({k.format(cid=cadre_id): v for k, v in fields.items()})
    before = (_count(app, Assessment), _count(app, IndicatorScore))
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert message in response.text
    assert 'value="catatan saya"' in response.text  # what was entered is shown again
    assert (_count(app, Assessment), _count(app, IndicatorScore)) == before


def test_unknown_skill_is_refused(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    session_url = open_sitting(client, posyandu_id, [cadre_id])
    assert client.get(f"{session_url}/skills/Z9").status_code == 404
    url = f"{session_url}/cadres/{cadre_id}"
    response = client.post(url, data={"submission_key": form_key(client, url), "score-Z9.1": "2"})
    assert response.status_code == 422 and "Indikator tidak dikenal" in response.text


def test_session_in_the_future_or_without_cadres_is_refused(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    url = f"/posyandu/{posyandu_id}/assessments/new"
    future = client.post(url, data={"assessed_on": "2099-01-01", "setting": "home_visit",
                                    "method": "practice", "cadres": [cadre_id]})
    assert "tidak boleh di masa depan" in future.text
    empty = client.post(url, data={"assessed_on": "2026-11-01", "setting": "home_visit",
                                   "method": "practice"})
    assert "minimal satu kader" in empty.text
    assert "home_visit" in empty.text  # the choices made are kept


def test_correction_supersedes_with_a_reason_and_lowers_the_level(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    session_url = open_sitting(client, posyandu_id, [cadre_id])
    for skill in ("D1", "D2", "D3"):
        url = f"{session_url}/skills/{skill}"
        client.post(url, data={"submission_key": form_key(client, url),
                               **grid_scores(cadre_id, indicators(app, skill))})
    with app.app_context():
        original = effective_assessments(cadre_id)["D3"].id
    url = f"/assessments/{original}/correct"
    scores = {f"score-{code}": "0" for code in indicators(app, "D3")}
    no_reason = client.post(url, data={"submission_key": form_key(client, url), **scores})
    assert no_reason.status_code == 422 and "wajib diisi" in no_reason.text
    ok = client.post(url, data={"submission_key": form_key(client, url), "reason": "Salah input",
                                **scores})
    assert ok.status_code == 302
    with app.app_context():
        new = effective_assessments(cadre_id)["D3"]
        assert new.supersedes_id == original and new.correction_reason == "Salah input"
        assert db.session.get(Assessment, original) is not None  # kept
        assert db.session.get(Cadre, cadre_id).level_code == "purwa"
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "correct", AuditEntry.entity_id == cadre_id)).one()
        assert entry.changes["reason"] == [None, "Salah input"]
    page = client.get(f"/assessments/{original}").text
    assert "Salah input" in page
    again = client.post(url, data={"submission_key": form_key(client, url), "reason": "lagi",
                                   **scores})
    assert again.status_code == 422 and "sudah dikoreksi" in again.text


def test_out_of_scope_is_404_on_every_scoring_url(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    session_url = open_sitting(client, posyandu_id, [cadre_id])
    with app.app_context():
        assessment_id = db.session.scalars(sa.select(Assessment.id).where(
            Assessment.cadre_id == cadre_id)).first()
    absent = scene.other
    assert client.get(f"{session_url}/cadres/{absent}").status_code == 404
    client.post("/logout")
    sign_in(client, scene.outsider)
    for url in [f"/posyandu/{posyandu_id}/assessments/new", session_url,
                f"{session_url}/skills/D1", f"{session_url}/cadres/{cadre_id}",
                f"/assessments/{assessment_id}", f"/assessments/{assessment_id}/correct"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={}).status_code in (404, 405), url


def test_village_head_cannot_score(client, app, scene):
    posyandu_id, _cadre_id = scene.posyandu, scene.cadre
    sign_in(client, scene.head)
    assert client.get(f"/posyandu/{posyandu_id}/assessments/new").status_code == 403


def test_profile_shows_badges_level_and_what_is_missing(client, app, scene):
    sign_in(client, scene.coordinator)
    _posyandu_id, cadre_id = scene.posyandu, scene.cadre
    page = client.get(f"/cadres/{cadre_id}").text
    assert "Purwa" in page and "Untuk mencapai Madya" in page
    assert page.count('class="cell got"') + page.count('class="cell missing"') == 25


def _full_scores(app, skills, score=2):
    return {f"score-{code}": str(score) for skill in skills for code in indicators(app, skill)}


def test_back_button_resubmit_in_the_same_sitting_stores_nothing(client, app, scene):
    """The phone case: saved, back, the form reloads with a new key and the browser
    restores the scores, saved again: the sitting already holds those skills."""
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    url = f"{open_sitting(client, posyandu_id, [cadre_id])}/cadres/{cadre_id}"
    scores = _full_scores(app, ("D1", "D2"))
    before = _count(app, Assessment)
    assert client.post(url, data={"submission_key": form_key(client, url), **scores}
                       ).status_code == 302
    again = client.post(url, data={"submission_key": form_key(client, url), **scores},
                        follow_redirects=True)
    assert "sudah tersimpan" in again.text
    assert _count(app, Assessment) == before + 2
    grid_url = url.rsplit("/cadres/", 1)[0] + "/skills/D1"
    grid = client.post(grid_url, data={"submission_key": form_key(client, grid_url),
                                       **grid_scores(cadre_id, indicators(app, "D1"))},
                       follow_redirects=True)
    assert "sudah tersimpan" in grid.text
    assert _count(app, Assessment) == before + 2


def test_other_scores_in_the_same_sitting_are_refused_with_a_link_to_correct(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    url = f"{open_sitting(client, posyandu_id, [cadre_id])}/cadres/{cadre_id}"
    assert client.post(url, data={"submission_key": form_key(client, url),
                                  **_full_scores(app, ("D1",))}).status_code == 302
    before = _count(app, Assessment)
    # D2 is new, D1 differs from what the sitting holds: nothing at all is stored
    refused = client.post(url, data={"submission_key": form_key(client, url),
                                     **_full_scores(app, ("D1",), score=0),
                                     **_full_scores(app, ("D2",))})
    assert refused.status_code == 422
    with app.app_context():
        stored = effective_assessments(cadre_id)["D1"].id
    assert "sudah dinilai dalam sesi ini" in refused.text
    assert f'href="/assessments/{stored}/correct"' in refused.text
    assert _count(app, Assessment) == before
    # new skills alongside ones already saved unchanged: the new ones are stored
    mixed = client.post(url, data={"submission_key": form_key(client, url),
                                   **_full_scores(app, ("D1", "D2"))})
    assert mixed.status_code == 302
    assert _count(app, Assessment) == before + 1


def test_a_correction_that_undoes_a_promotion_removes_it_from_the_history(client, app, scene):
    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    with app.app_context():
        purwa_since = db.session.get(Cadre, cadre_id).level_since
        history_before = db.session.scalar(sa.select(sa.func.count()).select_from(
            LevelChange).where(LevelChange.cadre_id == cadre_id))
    session_url = open_sitting(client, posyandu_id, [cadre_id], day=SITTING_DAY)
    url = f"{session_url}/cadres/{cadre_id}"
    client.post(url, data={"submission_key": form_key(client, url),
                           **_full_scores(app, ("D1", "D2", "D3"))})
    with app.app_context():
        assert db.session.get(Cadre, cadre_id).level_code == "madya"
        original = effective_assessments(cadre_id)["D3"].id
    url = f"/assessments/{original}/correct"
    assert client.post(url, data={"submission_key": form_key(client, url), "reason": "Salah input",
                                  **_full_scores(app, ("D3",), score=0)}).status_code == 302
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert (cadre.level_code, cadre.level_since) == ("purwa", purwa_since)
        changes = db.session.scalars(sa.select(LevelChange).where(
            LevelChange.cadre_id == cadre_id).order_by(LevelChange.changed_on)).all()
        assert len(changes) == history_before
        assert [c.level_code for c in changes][-1] == "purwa"
        assert "madya" not in [c.level_code for c in changes]
    profile = client.get(f"/cadres/{cadre_id}").text
    assert "Madya</strong>" not in profile


def test_level_history_is_replayed_by_assessment_date(client, app, scene):
    """An assessment dated before a promotion but entered after it moves the promotion
    to the date it happened; ``levels_in_force`` reads the history day by day."""

    sign_in(client, scene.trainer)
    posyandu_id, cadre_id = scene.posyandu, scene.cadre
    with app.app_context():
        purwa_since = db.session.get(Cadre, cadre_id).level_since
    late_day = DEMO_DAY + timedelta(days=19)
    late = open_sitting(client, posyandu_id, [cadre_id], day=late_day.isoformat())
    late = f"{late}/cadres/{cadre_id}"
    client.post(late, data={"submission_key": form_key(client, late),
                            **_full_scores(app, ("D1", "D2"))})
    early_day = (DEMO_DAY - timedelta(days=27)).isoformat()
    early = f"{open_sitting(client, posyandu_id, [cadre_id], day=early_day)}/cadres/{cadre_id}"
    client.post(early, data={"submission_key": form_key(client, early),
                             **_full_scores(app, ("D3",))})
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert (cadre.level_code, cadre.level_since) == ("madya", late_day)
        last = db.session.scalars(sa.select(LevelChange).where(
            LevelChange.cadre_id == cadre_id).order_by(LevelChange.changed_on.desc())).first()
        assert (last.previous_code, last.level_code) == ("purwa", "madya")
        assert last.assessment_id is not None
        from ilp_training.scoring.competency import levels_in_force

        spans = levels_in_force([cadre_id], DEMO_DAY, DEMO_DAY + timedelta(days=27))
        assert spans == {cadre_id: [(DEMO_DAY, "purwa"), (late_day, "madya")]}
        before = levels_in_force([cadre_id], purwa_since.replace(day=1), purwa_since)
        assert before[cadre_id][-1] == (purwa_since, "purwa")


def test_replay_levels_command_rebuilds_a_history_from_before_the_rule(app, scene):
    """A database from before the rule: a promotion that a correction undid is still in
    ``level_changes``; ``flask assessments replay-levels`` puts the history right."""
    from datetime import date

    _posyandu_id, cadre_id = scene.posyandu, scene.cadre
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        since = cadre.level_since
        db.session.add(LevelChange(cadre_id=cadre_id, level_code="madya", previous_code="purwa",
                                   changed_on=date(2026, 11, 2), framework_id="x",
                                   framework_version="1"))
        cadre.level_since = date(2026, 12, 1)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["assessments", "replay-levels"])
    assert result.exit_code == 0 and "Level history replayed" in result.output
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert (cadre.level_code, cadre.level_since) == ("purwa", since)
        assert db.session.scalars(sa.select(LevelChange.level_code).where(
            LevelChange.cadre_id == cadre_id)).all() == ["purwa"]
