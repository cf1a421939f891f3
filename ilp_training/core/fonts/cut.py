"""Cut the certificate fonts: DejaVu Sans reduced to the Latin scripts names use.

WeasyPrint spends most of a certificate's render time subsetting a large font. The cut
fonts hold only Basic Latin, Latin-1, Latin Extended-A/B, Latin Extended Additional,
combining diacritics, general punctuation and a few symbols (about 1,300 glyphs), so a
certificate embeds them whole and fast. Names with letters outside these ranges are
refused with a clear message (:func:`ilp_training.certificates.services.issuing.missing_glyphs`),
never printed with a glyph dropped.

Run ``python -m ilp_training.core.fonts.cut [SOURCE_DIR]`` to make them again (DejaVu fonts
from Debian's fonts-dejavu-core are the default source). DejaVu's licence is in
``static/fonts/LICENSE-DejaVu.txt`` beside the cut fonts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parents[2] / "static" / "fonts"
RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x0250, 0x02AF), (0x02B0, 0x02FF),
    (0x0300, 0x036F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF),
    (0x2100, 0x214F), (0x2190, 0x2193), (0x2713, 0x2714),
)
FACES = {"DejaVuSans.ttf": "CertSans.ttf", "DejaVuSans-Bold.ttf": "CertSans-Bold.ttf",
         "DejaVuSans-Oblique.ttf": "CertSans-Oblique.ttf"}


def codepoints() -> list[int]:
    return [cp for low, high in RANGES for cp in range(low, high + 1)]


def cut(source: Path, target: Path) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)
    font.save(target)


def main(argv: list[str]) -> None:
    source_dir = Path(argv[1]) if len(argv) > 1 else Path("/usr/share/fonts/truetype/dejavu")
    for name, out in FACES.items():
        cut(source_dir / name, HERE / out)
        print(f"{out}: {(HERE / out).stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv)
