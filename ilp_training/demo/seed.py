"""Build the demo district: regions, puskesmas, posyandu, cadres, one user per role, and
an assessment history (:mod:`.assessments`).

Deterministic (a fixed random seed), so tests and screenshots see the same people. Loaded
only into a database without users and puskesmas; the official places (``flask places
load``) may be there already, and the demo's regions are then those rows (same codes, same
names). The puskesmas names are plausible, not official (see
``buton_tengah.yaml``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from ilp_training.core.curricula import framework_on
from ilp_training.core.extensions import db
from ilp_training.demo.assessments import load_demo_assessments
from ilp_training.demo.certificates import load_demo_certificate_settings
from ilp_training.demo.incentives import load_demo_incentives
from ilp_training.demo.training import load_demo_trainings
from ilp_training.models import (
    Cadre,
    CadreAssignment,
    Posyandu,
    Puskesmas,
    Pustu,
    Region,
    RegionLevel,
    Role,
    Sex,
    User,
)
from ilp_training.overview.rollups import rebuild as rebuild_rollups

DATA_FILE = Path(__file__).with_name("buton_tengah.yaml")
SEED_PUSKESMAS = "Mawasangka Tengah"

# Puskesmas Mawasangka Tengah: 8 posyandu, 74 cadres; Anggrek (Lalibo) has the seed's 14.
SEED_POSYANDU = [
    ("Anggrek", "Lalibo", 14), ("Melati", "Lalibo", 9), ("Mawar", "Lantongau", 9),
    ("Cempaka", "Lantongau", 9), ("Kenanga", "Lakorua", 9), ("Dahlia", "Morikana", 8),
    ("Teratai", "Morikana", 8), ("Kamboja", "Lanto", 8),
]
OTHER_POSYANDU = ["Flamboyan", "Seroja"]
CADRES_PER_OTHER_POSYANDU = 6


@dataclass(frozen=True)
class DemoUser:
    role: Role
    username: str
    password: str
    display_name: str
    place: str  # "national", "province", "district", a puskesmas name, or a village name


DEMO_USERS = [
    DemoUser(Role.ADMIN, "admin", "admin-demo", "Dinkes Buton Tengah", "district"),
    DemoUser(Role.COORDINATOR, "koordinator", "koordinator-demo", "Wa Ode Hasna",
             "Mawasangka Tengah"),
    DemoUser(Role.TRAINER, "pelatih", "pelatih-demo", "La Ode Arsyad", "Mawasangka Tengah"),
    DemoUser(Role.VILLAGE_HEAD, "kades.lalibo", "kades-demo", "La Ode Karim", "Lalibo"),
    DemoUser(Role.COORDINATOR, "koordinator.lakudo", "koordinator-demo", "Sitti Rahma",
             "Lakudo"),
    DemoUser(Role.PROVINCE, "dinkes.sultra", "provinsi-demo", "Dinkes Provinsi Sulawesi Tenggara",
             "province"),
    DemoUser(Role.NATIONAL, "kemenkes", "kemenkes-demo", "Kementerian Kesehatan", "national"),
]

FEMALE = ("Wa Ode Sariati", "Nurlina", "Wa Ani", "Sitti Aminah", "Hasriani", "Wa Ode Nurhayati",
          "Rosmiati", "Wa Lina", "Hastuti", "Nurhayati", "Sumarni", "Wa Ode Fatma", "Jumriati",
          "Rahmawati", "Wa Ija", "Murniati", "Salmiah", "Wa Ode Asni", "Herlina", "Darmawati")
MALE = ("La Ode Hamid", "La Udin", "Muhammad Arif", "La Ode Safar", "Hasanudin", "La Baru")
SURNAMES = ("", " Binti La Ode", " Hamzah", " Saleh", " Kadir", " Umar", " Rauf", " Tahir")


def database_is_empty() -> bool:
    """True when no user and no puskesmas exist yet (the official places may be there:
    ``flask places load`` before the demo is fine, the demo then uses their rows)."""
    return db.session.scalar(sa.select(sa.func.count(User.id))) == 0 and (
        db.session.scalar(sa.select(sa.func.count(Puskesmas.id))) == 0
    )


def _region(stored: dict[str, Region], code: str, name: str, level: RegionLevel,
            parent: Region | None) -> Region:
    """The stored region of this code (loaded by ``flask places load``), else a new one."""
    region = stored.get(code)
    if region is None:
        region = Region(code=code, name=name, level=level, parent=parent)
        db.session.add(region)
    return region


def _load_regions(data: dict[str, Any]) -> tuple[Region, dict[str, Region], dict[str, Region]]:
    codes = [data["province"]["code"], data["district"]["code"]]
    for kec in data["kecamatan"]:
        codes += [kec["code"], *(v["code"] for v in kec["villages"])]
    stored = {r.code: r for r in db.session.scalars(sa.select(Region).where(
        Region.code.in_(codes)))}
    province = _region(stored, data["province"]["code"], data["province"]["name"],
                       RegionLevel.PROVINCE, None)
    district = _region(stored, data["district"]["code"], data["district"]["name"],
                       RegionLevel.REGENCY, province)
    kecamatan: dict[str, Region] = {}
    villages: dict[str, Region] = {}
    for kec in data["kecamatan"]:
        k = _region(stored, kec["code"], kec["name"], RegionLevel.SUBDISTRICT, district)
        kecamatan[kec["code"]] = k
        for v in kec["villages"]:
            villages[v["name"]] = _region(stored, v["code"], v["name"], RegionLevel.VILLAGE, k)
    return district, kecamatan, villages


def _load_puskesmas(data: dict[str, Any], district: Region,
                    kecamatan: dict[str, Region]) -> dict[str, Puskesmas]:
    """Each kecamatan's villages are split in contiguous runs over its puskesmas."""
    by_kec: dict[str, list[str]] = {}
    for item in data["puskesmas"]:
        by_kec.setdefault(item["kecamatan"], []).append(item["name"])
    result: dict[str, Puskesmas] = {}
    for code, names in by_kec.items():
        kec = kecamatan[code]
        size = -(-len(kec.children) // len(names))
        for index, name in enumerate(names):
            p = Puskesmas(name=name, district=district, subdistrict=kec,
                          villages=kec.children[index * size:(index + 1) * size])
            db.session.add(p)
            result[name] = p
    return result


def _nik(rng: random.Random, village: Region, birth: date, sex: Sex, seq: int) -> str:
    day = birth.day + (40 if sex == Sex.FEMALE else 0)
    return village.code.replace(".", "")[:6] + f"{day:02d}{birth:%m%y}{seq:04d}"


def _cadre(rng: random.Random, posyandu: Posyandu, seq: int, today: date) -> Cadre:
    sex = Sex.MALE if rng.random() < 0.12 else Sex.FEMALE
    name = rng.choice(FEMALE if sex == Sex.FEMALE else MALE) + rng.choice(SURNAMES)
    birth = date(rng.randint(1968, 2000), rng.randint(1, 12), rng.randint(1, 28))
    start = today - timedelta(days=rng.randint(200, 3000))
    has_nik = rng.random() < 0.9
    enrolled = rng.random() < 0.55
    cadre = Cadre(
        full_name=name, sex=sex, birth_date=birth, posyandu=posyandu, start_date=start,
        nik=_nik(rng, posyandu.village, birth, sex, seq) if has_nik else None,
        phone=f"08{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}",
        bpjs_tk_enrolled=enrolled,
        bpjs_tk_number=f"{rng.randint(10**10, 10**11 - 1)}" if enrolled else None,
    )
    cadre.assignments.append(CadreAssignment(posyandu=posyandu, start_date=start))
    return cadre


def _load_posyandu(rng: random.Random, puskesmas: dict[str, Puskesmas],
                   villages: dict[str, Region], today: date) -> int:
    count = 0
    seed = puskesmas[SEED_PUSKESMAS]
    seed.pustu.append(Pustu(name="Pustu Lantongau", village=villages["Lantongau"]))
    plan = [(seed, name, villages[village], size) for name, village, size in SEED_POSYANDU]
    for p in puskesmas.values():
        if p is not seed:
            plan += [(p, name, p.villages[i % len(p.villages)], CADRES_PER_OTHER_POSYANDU)
                     for i, name in enumerate(OTHER_POSYANDU)]
    for p, name, village, size in plan:
        posyandu = Posyandu(name=name, village=village, puskesmas=p)
        db.session.add(posyandu)
        for _ in range(size):
            count += 1
            db.session.add(_cadre(rng, posyandu, count, today))
    return count


def _load_users(district: Region, puskesmas: dict[str, Puskesmas],
                villages: dict[str, Region], password_method: str) -> dict[str, User]:
    users = {}
    for demo in DEMO_USERS:
        user = User(username=demo.username, display_name=demo.display_name, role=demo.role,
                    locale=None)
        if demo.role == Role.NATIONAL:
            pass  # bound to no place
        elif demo.role == Role.PROVINCE:
            user.province = district.parent
        elif demo.role == Role.ADMIN:
            user.district = district
        elif demo.role == Role.VILLAGE_HEAD:
            user.village = villages[demo.place]
        else:
            user.puskesmas = puskesmas[demo.place]
        user.set_password(demo.password, password_method)
        db.session.add(user)
        users[demo.username] = user
    return users


def load_demo(today: date, password_method: str = "scrypt") -> dict[str, int]:
    """Add the demo district to an empty database (the caller commits)."""
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    rng = random.Random(7414)
    district, kecamatan, villages = _load_regions(data)
    puskesmas = _load_puskesmas(data, district, kecamatan)
    cadres = _load_posyandu(rng, puskesmas, villages, today)
    users = _load_users(district, puskesmas, villages, password_method)
    db.session.flush()
    assessed = load_demo_assessments(
        framework_on(today), users["pelatih"], users["admin"], today, rng
    )
    load_demo_trainings(framework_on(today), users["koordinator"], users["pelatih"], today)
    load_demo_certificate_settings(district)
    load_demo_incentives(users["admin"], users["koordinator"], users["kades.lalibo"], today)
    # The places were made here, outside any service: the overview's counts are computed
    # once from the records at the end (set-based), as ``flask overview rebuild`` does.
    rebuild_rollups()
    return {"villages": len(villages), "puskesmas": len(puskesmas), "cadres": cadres,
            "users": len(DEMO_USERS), "assessments": assessed}
