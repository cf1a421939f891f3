"""The competency engine: curricula as data, and pure grading.

Pure Python: no Flask, SQLAlchemy or ``ilp_training`` imports (a test checks). Takes
curriculum dataclasses and evidence, returns frozen results that carry the framework id
and version they were graded under.

- :func:`load_framework`, :func:`load_frameworks`, :func:`check_framework`,
  :func:`parse_framework`, :func:`framework_in_force`: curriculum files (see
  ``curricula/README.md``).
- :func:`grade_skill`: indicator scores → *kompeten* / *belum kompeten*.
- :func:`mastered_packages`, :func:`determine_level`: skills → packages → level, and
  the skills still missing for the next level.
- :func:`grade_masks`, :func:`grade_many`: the level of many cadres, fast.
- :func:`regrade`: grading again under another version, explicitly.
"""

from .bulk import grade_many, grade_masks
from .curriculum import (
    check_framework,
    framework_in_force,
    load_framework,
    load_frameworks,
    parse_framework,
)
from .errors import CurriculumError, GradingError, Problem
from .grading import SkillResult, grade_skill
from .levels import LevelResult, PackageGap, determine_level, mastered_packages
from .model import (
    Framework,
    Indicator,
    Level,
    LevelRule,
    Package,
    PassRule,
    Scale,
    ScaleOption,
    Skill,
    Text,
)
from .versioning import Regrade, regrade

__all__ = [
    "CurriculumError",
    "Framework",
    "GradingError",
    "Indicator",
    "Level",
    "LevelResult",
    "LevelRule",
    "Package",
    "PackageGap",
    "PassRule",
    "Problem",
    "Regrade",
    "Scale",
    "ScaleOption",
    "Skill",
    "SkillResult",
    "Text",
    "check_framework",
    "determine_level",
    "framework_in_force",
    "grade_many",
    "grade_masks",
    "grade_skill",
    "load_framework",
    "load_frameworks",
    "mastered_packages",
    "parse_framework",
    "regrade",
]
