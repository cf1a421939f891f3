"""``flask curriculum``: check and show competency framework files (operator-facing)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from assessments import (
    CurriculumError,
    Framework,
    check_framework,
    framework_in_force,
    load_framework,
    load_frameworks,
)

DEFAULT_CURRICULA_DIR = Path(__file__).resolve().parents[2] / "curricula"

curriculum_cli = AppGroup("curriculum", help="Check and show competency frameworks (curricula).")


@curriculum_cli.command("check", with_appcontext=False)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def check(path: Path) -> None:
    """Check a curriculum file, or every *.yaml file in a folder.

    Exit 0 with one summary line per file, or 1 with every problem found.
    """
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    if not files:
        click.echo(f"{path}: no *.yaml files", err=True)
        sys.exit(1)
    problems = [str(problem) for file in files for problem in check_framework(file)]
    if path.is_dir() and not problems:
        try:
            load_frameworks(path)  # also refuses two files with the same id and version
        except CurriculumError as exc:
            problems = [str(problem) for problem in exc.problems]
    if problems:
        for line in problems:
            click.echo(line, err=True)
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    for file in files:
        framework = load_framework(file)
        click.echo(f"OK {file}: {framework.id} {framework.version}, {_summary(framework)}")


@curriculum_cli.command("show")
@click.argument("framework_id", required=False)
@click.option("--version", "version", help="Show this version (default: the latest).")
@click.option("--lang", type=click.Choice(["id", "en"]), default="en", show_default=True,
              help="Language of the curriculum texts.")
@click.option("--indicators", is_flag=True, help="Also list every indicator.")
def show(framework_id: str | None, version: str | None, lang: str, indicators: bool) -> None:
    """List the frameworks in CURRICULA_DIR, or show one: packages, skills and levels."""
    folder = Path(current_app.config.get("CURRICULA_DIR") or DEFAULT_CURRICULA_DIR)
    try:
        frameworks = load_frameworks(folder)
    except CurriculumError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    if framework_id is None:
        if not frameworks:
            click.echo(f"No frameworks in {folder}.")
        for framework in frameworks.values():
            click.echo(f"{framework.id} {framework.version} (in force from "
                       f"{framework.effective_date}): {framework.title.get(lang)}; "
                       f"{_summary(framework)}")
        return
    try:
        framework = (frameworks[(framework_id, version)] if version
                     else framework_in_force(frameworks, framework_id))
    except (KeyError, LookupError):
        known = ", ".join(f"{i} {v}" for i, v in frameworks) or "none"
        click.echo(f"No framework {framework_id} {version or ''} in {folder} (found: {known}).",
                   err=True)
        sys.exit(1)
    for line in _describe(framework, lang, indicators):
        click.echo(line)


def _summary(framework: Framework) -> str:
    count = sum(len(skill.indicators) for skill in framework.skills)
    levels = ", ".join(level.code for level in framework.levels)
    return (f"{len(framework.packages)} packages, {len(framework.skills)} skills, "
            f"{count} indicators, levels {levels}")


def _describe(framework: Framework, lang: str, indicators: bool) -> list[str]:
    rule = framework.pass_rule
    critical = " and every critical indicator met" if rule.all_critical else ""
    lines = [
        f"{framework.id} {framework.version}: {framework.title.get(lang)}",
        f"In force from {framework.effective_date}; source {framework.source}",
        "Scale: " + ", ".join(f"{o.value} = {o.label.get(lang)}" for o in framework.scale.options),
        f"Pass rule: at least {rule.min_percent}% of the points{critical}",
        "",
    ]
    for package in framework.packages:
        lines.append(f"Package {package.code}: {package.name.get(lang)}")
        for skill in package.skills:
            own = "" if skill.pass_rule == rule else f" [pass at {skill.pass_rule.min_percent}%]"
            lines.append(f"  {skill.code} {skill.name.get(lang)} "
                         f"({len(skill.indicators)} indicators, {skill.max_points} points){own}")
            for indicator in skill.indicators if indicators else ():
                flag = " CRITICAL" if indicator.critical else ""
                lines.append(f"    {indicator.code} [{indicator.points}{flag}] "
                             f"{indicator.text.get(lang)}")
    lines.append("")
    lines.append("Levels (lowest first):")
    for level in framework.levels:
        others = f" + {level.rule.min_others} other package(s)" if level.rule.min_others else ""
        lines.append(f"  {level.code} {level.name.get(lang)} ({level.colour_name.get(lang)} "
                     f"{level.colour}): {' + '.join(level.rule.required) or 'any'}{others}")
    return lines
