"""Reading the scoring forms: ``score-<row>-<indicator>`` fields with a value on the scale.

The grid (one skill, many cadres) names rows by cadre id; the full assessment (one
cadre, many skills) uses ``score-<indicator>``, the skill following from the indicator
code. A row with no score is not assessed; a row with some but not all indicators scored
is an error, as is an unknown field, a score off the scale (ASCII digits only) or a note
with a control or bidi character (the input policy). Errors are collected, never
raised, so that the form can be shown again with everything the assessor entered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from assessments import Framework, Skill
from ilp_training.core.input_policy import ascii_int, describe, refused_character
from ilp_training.scoring.services import SkillEntry


@dataclass
class ParsedScores:
    entries: list[SkillEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # every field as entered


def _entered(form: MultiDict[str, str]) -> ParsedScores:
    """Every score and note field as entered; a note breaking the input policy (control
    or bidi characters) is an error."""
    parsed = ParsedScores(values={k: v for k, v in form.items()
                                  if k.startswith(("score-", "note-"))})
    for name, value in parsed.values.items():
        char = refused_character(value) if name.startswith("note-") else None
        if char is not None:
            parsed.errors.append(_("Control characters and text-direction marks are not "
                                   "allowed (found %(character)s).",
                                   character=describe(char)))
    return parsed


def _score(raw: str, framework: Framework, label: str, parsed: ParsedScores) -> int | None:
    if raw == "":
        return None
    score = ascii_int(raw)
    if score is not None and score in framework.scale.values:
        return score
    parsed.errors.append(_("%(label)s: “%(value)s” is not a score on the scale.",
                           label=label, value=raw))
    return None


def _complete(skill: Skill, scores: dict[str, int], label: str, parsed: ParsedScores) -> bool:
    if len(scores) == len(skill.indicators):
        return True
    parsed.errors.append(_("%(label)s: score every indicator of %(skill)s, or none.",
                           label=label, skill=skill.code))
    return False


def parse_grid(form: MultiDict[str, str], framework: Framework, skill: Skill,
               cadres: Mapping[int, str]) -> ParsedScores:
    """Entries of the grid for ``skill``; ``cadres`` maps the session's cadre ids to names."""
    parsed = _entered(form)
    rows: dict[int, dict[str, int]] = {cadre_id: {} for cadre_id in cadres}
    codes = {indicator.code for indicator in skill.indicators}
    for name, raw in parsed.values.items():
        if not name.startswith("score-"):
            continue
        cadre_part, _sep, code = name[len("score-"):].partition("-")
        cadre_id = ascii_int(cadre_part)
        if cadre_id is None or cadre_id not in cadres:
            parsed.errors.append(_("A score was sent for a cadre who is not in this session."))
            continue
        if code not in codes:
            parsed.errors.append(_("Unknown indicator “%(code)s” for skill %(skill)s.",
                                   code=code, skill=skill.code))
            continue
        score = _score(raw.strip(), framework, cadres[cadre_id], parsed)
        if score is not None:
            rows[cadre_id][code] = score
    for cadre_id, scores in rows.items():
        if scores and _complete(skill, scores, cadres[cadre_id], parsed):
            note = parsed.values.get(f"note-{cadre_id}")
            parsed.entries.append(SkillEntry(cadre_id, skill.code, scores, note))
    return parsed


def parse_full(form: MultiDict[str, str], framework: Framework, cadre_id: int) -> ParsedScores:
    """Entries of the full assessment of one cadre: every skill with at least one score."""
    parsed = _entered(form)
    by_indicator = {i.code: s for s in framework.skills for i in s.indicators}
    rows: dict[str, dict[str, int]] = {}
    for name, raw in parsed.values.items():
        if not name.startswith("score-"):
            continue
        code = name[len("score-"):]
        skill = by_indicator.get(code)
        if skill is None:
            parsed.errors.append(_("Unknown indicator “%(code)s”.", code=code))
            continue
        score = _score(raw.strip(), framework, skill.code, parsed)
        if score is not None:
            rows.setdefault(skill.code, {})[code] = score
    for skill in framework.skills:
        scores = rows.get(skill.code)
        if scores and _complete(skill, scores, skill.code, parsed):
            note = parsed.values.get(f"note-{skill.code}")
            parsed.entries.append(SkillEntry(cadre_id, skill.code, scores, note))
    return parsed
