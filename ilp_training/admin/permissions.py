"""Who may administer the site: every "may" rule of the admin area. The accounts and
audit entries an admin sees are those of their district (:mod:`ilp_training.scope`)."""

from __future__ import annotations

from ilp_training.models import Role, User


def may_manage_users(user: User) -> bool:
    """Whether ``user`` may list, create, reset and (de)activate the accounts of their
    district: the district's admins."""
    return user.role == Role.ADMIN


def may_read_audit_log(user: User) -> bool:
    """Whether ``user`` may read the audit log (the entries of the accounts of their
    district, and the system's): the district's admins."""
    return user.role == Role.ADMIN


def may_see_workers(user: User) -> bool:
    """Whether ``user`` may see the background workers' heartbeats (read only: hosts,
    process ids, times; nothing of anyone's data): the admins of any district, since
    the workers serve every district alike."""
    return user.role == Role.ADMIN
