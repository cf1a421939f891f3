"""Small helpers shared by the views: running a service call for a form, paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import current_app, flash, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ilp_training.core.extensions import db
from ilp_training.core.service import ServiceError


def apply_service_error(form: FlaskForm, exc: ServiceError) -> None:
    """Show a service's refusal on the form field it names, or on the whole form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """A service call that went through (and was committed), with what it returned."""

    value: T


def committed(form: FlaskForm, call: Callable[[], T], *, retries: int = 1) -> Done[T] | None:
    """Run a service call for a submitted form and commit. When the service refuses
    (:class:`ServiceError`), roll back, show the refusal on the form
    (:func:`apply_service_error`) and return ``None``, so the page is shown again with
    the user's values.

    A race: when a request released at the same moment stored the same natural key first,
    the database refuses ours (``IntegrityError``, a unique constraint). The call is then
    run once more on a fresh transaction, where the service's own checks see the winner's
    row and give the ordinary answer ("taken", "already saved"). Should it fail again, the
    form says that someone changed the same record at the same time: never a 500.
    """
    for attempt in range(retries + 1):
        try:
            value = call()
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
            return None
        except sa.exc.IntegrityError as exc:
            db.session.rollback()
            if attempt < retries:
                continue
            # Logged: a constraint that the code itself keeps breaking must not pass for a race.
            current_app.logger.warning("unique or check constraint refused a form twice: %s",
                                       exc.orig)
            form.form_errors.append(str(CONFLICT_MESSAGE))
            return None
        return Done(value)
    raise AssertionError("unreachable")


def flash_refusal(form: FlaskForm) -> None:
    """Flash the refusal that :func:`committed` put on ``form`` (on a field or the whole
    form), for the small confirmation forms whose view redirects instead of showing the
    form again."""
    for message in [*form.form_errors, *(e for field in form for e in field.errors)]:
        flash(str(message), "error")


CONFLICT_MESSAGE = _l("Someone changed the same record at the same moment. "
                      "Please check the page and try again.")


MAX_PAGE = 100_000


def page_args() -> tuple[int, int]:
    """The requested page number (from ``?page=``, 1 to :data:`MAX_PAGE`) and the page
    size. A larger number would overflow the database's OFFSET; no list is that long."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE), current_app.config["PAGE_SIZE"]


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and what the pager needs."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate_counted(stmt: sa.Select[*tuple[Any, ...]]) -> Page:
    """Like :func:`paginate` for a busy list (rows, not scalars): the page and the number
    of rows in one query (a window count, as a ``total`` column on each row). A page past
    the end (an old link after rows went away) shows the last page, at the cost of two
    more queries in that case only."""
    page, per_page = page_args()
    counted = stmt.add_columns(sa.func.count().over().label("total"))
    rows = db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return Page(list(rows), page, per_page, rows[0].total)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if total and page > 1:
        page = -(-total // per_page)
        rows = db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(rows), page, per_page, total)


def paginate(stmt: sa.Select[*tuple[Any, ...]], *, scalars: bool = True) -> Page:
    """Run ``stmt`` for the requested page: one COUNT query and one page query."""
    page, per_page = page_args()
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    ) or 0
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items, page, per_page, total)
