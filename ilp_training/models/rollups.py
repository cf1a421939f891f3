"""Rollups: the counts of the overview kept per place, so that a national, province,
regency or puskesmas page reads a handful of rows instead of counting records.

One narrow table: a row per (level, place, metric, item) with its value; ``item`` is the
metric's sub-key (a level code, a package code, a month ``YYYY-MM``, an incentive period
key) or ``''``. The rules (what counts where, and how the rows stay equal to the records
in the same transaction as each change) are in :mod:`ilp_training.overview.rollups` and
``docs/overview.md`` (*Counts*).
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ilp_training.core.extensions import Model
from ilp_training.models.base import enum_column


class PlaceLevel(enum.StrEnum):
    """A level of the hierarchy the overview shows, from the top."""

    NATIONAL = "national"
    PROVINCE = "province"
    REGENCY = "regency"
    PUSKESMAS = "puskesmas"
    POSYANDU = "posyandu"


class Metric(enum.StrEnum):
    """What a rollup row counts (its ``item`` in brackets)."""

    CADRES = "cadres"  # active cadres
    LEVEL = "level"  # active cadres at a level (level code; '' = not yet graded)
    PACKAGE = "package"  # active cadres competent in every skill of a package (its code)
    BPJS = "bpjs"  # active cadres enrolled in BPJS Ketenagakerjaan
    CERTIFICATES = "certificates"  # valid certificates of the place's cadres
    TRAININGS = "trainings"  # finished training events organised there (start month)
    GAIN_SUM = "gain_sum"  # sum of post − pre over participants with both tests
    GAIN_N = "gain_n"  # participants with both tests
    VILLAGES = "villages"  # villages in the catchment
    APPROVED = "approved"  # villages with an approved summary (period key)


class RollupCount(Model):
    """One count of one place. Places above the posyandu only: a posyandu's few cadres
    are counted from the records (see ``docs/overview.md``)."""

    __tablename__ = "rollup_counts"

    level: Mapped[PlaceLevel] = mapped_column(enum_column(PlaceLevel, "rollup_level"),
                                              primary_key=True)
    place_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    metric: Mapped[Metric] = mapped_column(enum_column(Metric, "rollup_metric"),
                                           primary_key=True)
    item: Mapped[str] = mapped_column(sa.String(20), primary_key=True, default="",
                                      server_default="")
    parent_id: Mapped[int | None]
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    __table_args__ = (
        # the children of a place: WHERE level = :child_level AND parent_id = :place
        sa.Index("ix_rollup_counts_parent", "level", "parent_id"),
    )
