"""The data model. Import models from here."""

from .assessments import (
    Assessment,
    AssessmentSession,
    CadreSkill,
    IndicatorScore,
    LevelChange,
    Method,
    Setting,
    session_cadres,
)
from .audit import AuditEntry, RateEvent
from .base import utcnow
from .cadres import Cadre, CadreAssignment, CadreStatus, Sex
from .regions import Posyandu, Puskesmas, Pustu, Region, RegionLevel, puskesmas_villages
from .users import Role, User

__all__ = [
    "Assessment",
    "AssessmentSession",
    "AuditEntry",
    "Cadre",
    "CadreAssignment",
    "CadreSkill",
    "CadreStatus",
    "IndicatorScore",
    "LevelChange",
    "Method",
    "Posyandu",
    "Puskesmas",
    "Pustu",
    "RateEvent",
    "Region",
    "RegionLevel",
    "Role",
    "Setting",
    "Sex",
    "User",
    "puskesmas_villages",
    "session_cadres",
    "utcnow",
]
