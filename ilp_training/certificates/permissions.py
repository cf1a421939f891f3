"""Who may do what with certificates: every "may" rule of the certificates area. Which
certificates a user sees (and so may open, download or issue for) is
:mod:`ilp_training.scope`; the public verification pages need no permission."""

from __future__ import annotations

from ilp_training.models import Role, User

ISSUERS = (Role.ADMIN, Role.COORDINATOR)


def may_issue_certificates(user: User) -> bool:
    """Whether ``user`` may issue certificates (one from a cadre's profile, or all due of
    a posyandu, puskesmas or training in a bulk job), follow the bulk jobs and list the
    certificates of their area: admins and coordinators."""
    return user.role in ISSUERS


def may_revoke_certificates(user: User) -> bool:
    """Whether ``user`` may revoke a certificate of their area (final, with a reason):
    the district's admins only."""
    return user.role == Role.ADMIN


def may_configure_certificates(user: User) -> bool:
    """Whether ``user`` may set the issuer's emblem and signatory (the district's, or a
    puskesmas's of the district): the district's admins only."""
    return user.role == Role.ADMIN
