"""The data model. Import models from here."""

from .audit import AuditEntry, RateEvent
from .base import utcnow
from .cadres import Cadre, CadreAssignment, CadreStatus, Sex
from .regions import Posyandu, Puskesmas, Pustu, Region, RegionLevel, puskesmas_villages
from .users import Role, User

__all__ = [
    "AuditEntry",
    "Cadre",
    "CadreAssignment",
    "CadreStatus",
    "Posyandu",
    "Puskesmas",
    "Pustu",
    "RateEvent",
    "Region",
    "RegionLevel",
    "Role",
    "Sex",
    "User",
    "puskesmas_villages",
    "utcnow",
]
