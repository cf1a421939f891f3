from datetime import date

from ilp_training.core.config import PROJECT_ROOT
from ilp_training.core.i18n import rupiah
from ilp_training.core.translations_check import check_catalogs
from tests.helpers import sign_in


def test_language_switch_is_remembered_before_sign_in(client):
    assert "Kata sandi" in client.get("/login").text
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").text
    assert "Password" in page and 'lang="en"' in page


def test_signed_in_choice_is_saved_on_the_user(empty_client, empty_app, people):
    client = sign_in(empty_client, people.trainer)
    assert "Selamat datang" in client.get("/").text
    client.post("/language", data={"lang": "en"})
    assert "Welcome" in client.get("/").text
    client.post("/logout")
    other = sign_in(empty_app.test_client(), people.trainer)
    assert "Welcome" in other.get("/").text


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "fr"})
    assert 'lang="id"' in client.get("/login").text


def test_babel_formats_rupiah_and_dates(app):
    with app.test_request_context():
        from flask import session

        assert rupiah(250000) == "Rp250.000"
        session["lang"] = "en"
        from flask_babel import refresh

        refresh()
        assert rupiah(250000) == "Rp250,000"
        from ilp_training.core.i18n import fdate

        assert fdate(date(2026, 3, 1)) == "Mar 1, 2026"


def test_numbers_follow_the_locale_and_small_ones_skip_babel(app):
    from flask import session
    from flask_babel import refresh

    from ilp_training.core.i18n import fnumber

    with app.test_request_context():
        assert [fnumber(v) for v in (None, 0, 999, 1000, 12345, -5)] == [
            "", "0", "999", "1.000", "12.345", "-5"]
        assert fnumber(2.5) == "2,5"
        session["lang"] = "en"
        refresh()
        assert [fnumber(v) for v in (999, 1000, 2.5)] == ["999", "1,000", "2.5"]


def test_error_page_speaks_both_languages(client):
    assert "Tidak ditemukan" in client.get("/tidak-ada").text
    client.post("/language", data={"lang": "en"})
    assert "Not found" in client.get("/no-such-page").text


def test_json_clients_get_json_errors(client):
    response = client.get("/no-such.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == 404


def test_catalogs_are_complete_with_matching_placeholders():
    assert check_catalogs(PROJECT_ROOT / "translations") == []


def test_every_audited_action_has_a_translated_label():
    """The audit page and the cadre history show ACTION_LABELS, never a raw action code."""
    import re
    from pathlib import Path

    from ilp_training.core.audit import ACTION_LABELS

    package = Path(__file__).resolve().parents[2] / "ilp_training"
    source = "\n".join(p.read_text() for p in package.rglob("*.py"))
    calls = re.findall(r"audit\.record\(\s*\w+,\s*([^,]+),", source)
    actions = {a for call in calls for a in re.findall(r'"([a-z_]+)"', call)}
    assert {"assess", "correct", "issue", "approve"} <= actions  # the scan finds them
    assert actions - ACTION_LABELS.keys() == set()


def test_a_message_of_the_code_missing_from_a_catalog_is_a_problem(tmp_path):
    """The gate extracts the code's messages: a new ``_()`` that nobody merged into the
    catalogs fails it (before, only the catalogs' own messages were checked)."""
    pot = tmp_path / "messages.pot"
    pot.write_text('msgid ""\nmsgstr ""\n\nmsgid "Kept"\nmsgstr ""\n\n'
                   'msgid "New in the code"\nmsgstr ""\n', encoding="utf-8")
    catalog = tmp_path / "id" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text('msgid ""\nmsgstr ""\n\nmsgid "Kept"\nmsgstr "Disimpan"\n',
                       encoding="utf-8")
    assert check_catalogs(tmp_path) == []
    assert check_catalogs(tmp_path, pot) == [
        "id: 'New in the code' is not in the catalog (make update-translations)"]
