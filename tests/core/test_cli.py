from conftest import other_app
from flask_migrate import upgrade

from ilp_training.core.config import instance_secret_key


def test_demo_load_fills_an_empty_database_once(tmp_path):
    with other_app(f"sqlite:///{tmp_path / 'demo.db'}") as app:
        with app.app_context():
            upgrade()
        runner = app.test_cli_runner()
        first = runner.invoke(args=["demo", "load", "--if-empty"])
        assert first.exit_code == 0, first.output
        assert "cadres 230" in first.output and "villages 77" in first.output
        again = runner.invoke(args=["demo", "load", "--if-empty"])
        assert again.exit_code == 0 and "not loaded" in again.output
        strict = runner.invoke(args=["demo", "load"])
        assert strict.exit_code == 1


def test_translate_check_passes_on_the_shipped_catalogs(app):
    result = app.test_cli_runner().invoke(args=["translate", "check"])
    assert result.exit_code == 0, result.output


def test_secret_key_is_created_once_and_reused(tmp_path):
    first = instance_secret_key(str(tmp_path))
    assert len(first) == 64
    assert instance_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_curriculum_commands_are_registered_on_the_app(app):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["curriculum", "check", "curricula/ilp-national-2024.yaml"])
    assert ok.exit_code == 0, ok.output
    broken = runner.invoke(args=["curriculum", "check",
                                 "tests/fixtures/curricula/broken-duplicate-skill.yaml"])
    assert broken.exit_code == 1 and "broken-duplicate-skill.yaml" in broken.output
    shown = runner.invoke(args=["curriculum", "show", "ilp-national"])
    assert shown.exit_code == 0 and "B3" in shown.output
