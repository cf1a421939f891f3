"""Places: the Kemendagri region hierarchy, puskesmas, Pustu and posyandu."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ilp_training.core.extensions import Model, db
from ilp_training.models.base import enum_column


class RegionLevel(enum.StrEnum):
    """Levels of the Kemendagri hierarchy; the code has 2/5/8/13 characters."""

    PROVINCE = "province"
    REGENCY = "regency"  # kabupaten / kota
    SUBDISTRICT = "subdistrict"  # kecamatan
    VILLAGE = "village"  # desa / kelurahan


CODE_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.REGENCY: 5,
    RegionLevel.SUBDISTRICT: 8,
    RegionLevel.VILLAGE: 13,
}


class Region(Model):
    """A province, kabupaten/kota, kecamatan or desa/kelurahan with its official code."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(13), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel, "region_level"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)

    parent: Mapped[Region | None] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[Region]] = relationship(
        back_populates="parent", order_by="Region.code"
    )

    @property
    def kind(self) -> str:
        """``kabupaten``/``kota`` for a regency, ``desa``/``kelurahan`` for a village.

        Kemendagri codes: a regency block of 71 or more is a kota; a village block that
        starts with 1 is a kelurahan, with 2 a desa.
        """
        if self.level == RegionLevel.REGENCY:
            return "kota" if int(self.code[3:5]) >= 71 else "kabupaten"
        if self.level == RegionLevel.VILLAGE:
            return "kelurahan" if self.code[9] == "1" else "desa"
        return self.level.value

    @property
    def official_name(self) -> str:
        """The name as Kemendagri lists it: a regency with its kind (``Kabupaten Bogor``,
        ``Kota Bogor``; the stored name is without it), any other place as stored."""
        if self.level == RegionLevel.REGENCY:
            return f"{self.kind.capitalize()} {self.name}"
        return self.name

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


puskesmas_villages = sa.Table(
    "puskesmas_villages",
    db.metadata,
    sa.Column("puskesmas_id", sa.ForeignKey("puskesmas.id"), primary_key=True),
    sa.Column("village_id", sa.ForeignKey("regions.id"), primary_key=True),
)


class Puskesmas(Model):
    """A primary health centre; its catchment (wilayah kerja) is a set of villages."""

    __tablename__ = "puskesmas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    code: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    subdistrict_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))

    district: Mapped[Region] = relationship(foreign_keys=[district_id])
    subdistrict: Mapped[Region] = relationship(foreign_keys=[subdistrict_id])
    villages: Mapped[list[Region]] = relationship(
        secondary=puskesmas_villages, order_by="Region.name"
    )
    posyandu: Mapped[list[Posyandu]] = relationship(
        back_populates="puskesmas", order_by="Posyandu.name"
    )
    pustu: Mapped[list[Pustu]] = relationship(back_populates="puskesmas")

    __table_args__ = (sa.UniqueConstraint("district_id", "name"),)


class Pustu(Model):
    """A puskesmas pembantu: the village-level ILP post."""

    __tablename__ = "pustu"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    puskesmas_id: Mapped[int] = mapped_column(sa.ForeignKey("puskesmas.id"), index=True)

    village: Mapped[Region] = relationship()
    puskesmas: Mapped[Puskesmas] = relationship(back_populates="pustu")


class Posyandu(Model):
    """A village health post; belongs to a village and is served by one puskesmas."""

    __tablename__ = "posyandu"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    puskesmas_id: Mapped[int] = mapped_column(sa.ForeignKey("puskesmas.id"), index=True)
    dusun: Mapped[str | None] = mapped_column(sa.String(80))
    rw: Mapped[str | None] = mapped_column(sa.String(10))
    pustu_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pustu.id"))

    village: Mapped[Region] = relationship()
    puskesmas: Mapped[Puskesmas] = relationship(back_populates="posyandu")
    pustu: Mapped[Pustu | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("village_id", "name"),)

    def __repr__(self) -> str:
        return f"<Posyandu {self.name}>"
