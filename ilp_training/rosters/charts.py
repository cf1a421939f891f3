"""Geometry of the heat-map drawn on the server: plain strings and numbers for the
template, so a page with a thousand squares stays a handful of SVG elements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext, ngettext
from markupsafe import Markup, escape

from assessments import Framework
from ilp_training.core.i18n import fnumber
from ilp_training.core.templating import pin_class
from ilp_training.rosters.services import GapMatrix, GapRow, LevelRow

CELL = 12  # px per square, in the SVG's own units (11 drawn, 1 gap)
LABELS = 104  # width of the place names on the left
HEADER = 16  # height of the package letters on top
PACKAGE_GAP = 5  # space between packages


@dataclass(frozen=True)
class HeatMap:
    """An SVG heat-map of a gap matrix.

    ``squares`` maps a CSS class (``heat-0`` … ``heat-3``, ``heat-none``) to one path of
    all its squares; ``marks`` is one path of the down-pointing triangles on the weakest
    cells; ``labels`` the (x, y) of each package letter and place name.
    """

    width: int
    height: int
    squares: dict[str, str]
    marks: str
    package_labels: tuple[tuple[str, int], ...]
    place_labels: tuple[tuple[str, int], ...]
    label_x: int = LABELS - 4


def _columns(matrix: GapMatrix) -> tuple[list[int], list[tuple[str, int]], int]:
    x, columns, packages = LABELS, [], []
    for package in matrix.packages:
        packages.append((package.code, x))
        for _skill in package.skills:
            columns.append(x)
            x += CELL
        x += PACKAGE_GAP
    return columns, packages, x


def heat_map(matrix: GapMatrix) -> HeatMap:
    """One column per skill, packages side by side with a gap, one row per place."""
    columns, packages, width = _columns(matrix)
    squares: dict[str, list[str]] = {}
    marks, places = [], []
    for r, row in enumerate(matrix.rows):
        y = HEADER + CELL * r
        places.append((row.place.name if row.place else "", y + 9))
        for x, cell in zip(columns, row.cells, strict=True):
            css = f"heat-{cell.band}" if row.active else "heat-none"
            squares.setdefault(css, []).append(f"M{x} {y}h11v11h-11z")
            if cell.weakest:
                marks.append(f"M{x + 2} {y + 3}h7l-3.5 6z")
    return HeatMap(
        width=width, height=HEADER + CELL * len(matrix.rows) + 2,
        squares={css: "".join(parts) for css, parts in sorted(squares.items())},
        marks="".join(marks), package_labels=tuple(packages), place_labels=tuple(places),
    )


@dataclass(frozen=True)
class Segment:
    """One level's part of a stacked bar, in the 300-unit-wide SVG."""

    x: str
    width: str
    colour: str


@dataclass(frozen=True)
class PlaceSummary:
    """A place's level counts as a sentence and as a stacked bar."""

    row: LevelRow
    line: str  # "1 Utama, 4 Madya, 9 Purwa, 0 without a level"
    active: str  # "14 active cadres"
    segments: tuple[Segment, ...]

    @property
    def bar(self) -> Markup:
        """The stacked bar as inline SVG, ``line`` as its text alternative (built here,
        not by a macro: the roster draws one per posyandu)."""
        rects = "".join(
            f'<rect x="{s.x}" y="0" width="{s.width}" height="18" fill="{escape(s.colour)}"/>'
            for s in self.segments)
        return Markup(
            '<svg class="level-bar" viewBox="0 0 300 18" preserveAspectRatio="none" role="img"'
            f' aria-label="{escape(self.line)}" focusable="false">'
            f'<rect x="0" y="0" width="300" height="18" class="track"/>{rects}</svg>')


def _segments(row: LevelRow, widest: int, width: float) -> tuple[Segment, ...]:
    x, segments = 0.0, []
    for c in row.counts:
        if c.count:
            w = width * c.count / widest
            segments.append(Segment(f"{x:.1f}", f"{w:.1f}", c.colour))
            x += w
    return tuple(segments)


def summaries(rows: Sequence[LevelRow], width: float = 300.0) -> list[PlaceSummary]:
    """Each row's sentence and bar. Bars are scaled so that the largest row fills
    ``width`` and rows compare by length; zero counts have no segment.

    The sentence joins "<count> <level name>" (names come from the curriculum) and the
    catalog's "<count> without a level"; each message is looked up once, not per row.
    """
    widest = max((row.total for row in rows), default=0) or 1
    without = gettext("%(num)s without a level")
    active: dict[int, str] = {}
    result = []
    for row in rows:
        parts = [f"{fnumber(c.count)} {c.name}" if c.code else without % {"num": fnumber(c.count)}
                 for c in row.counts]
        if row.total not in active:
            active[row.total] = ngettext("%(count)s active cadre", "%(count)s active cadres",
                                         row.total, count=fnumber(row.total))
        result.append(PlaceSummary(row, ", ".join(parts), active[row.total],
                                   _segments(row, widest, width)))
    return result


def gap_cells(row: GapRow, weakest_label: str) -> Markup:
    """The ``<td>`` cells of one matrix row: count and share on the heat colour, and on
    the weakest cells a ▼ with the word for screen readers. Built here rather than by a
    template macro: a district matrix has a thousand cells."""
    if not row.active:
        return Markup('<td class="heat heat-none">—</td>' * len(row.cells))
    mark = ('<span class="mark" aria-hidden="true">▼</span>'
            f'<span class="sr"> {escape(weakest_label)}</span>')
    return Markup("".join(
        f'<td class="heat heat-{c.band}{" weakest" if c.weakest else ""}">'
        f'{fnumber(c.mastered)}<small>{c.share}%</small>{mark if c.weakest else ""}</td>'
        for c in row.cells))


def level_badges(framework: Framework, locale: str) -> dict[str | None, Markup]:
    """The level badge of each level code (and ``None``: no level yet), the same markup as
    the ``level_badge`` macro, built once per page instead of once per row."""
    badges: dict[str | None, Markup] = {
        lv.code: Markup('<span class="badge level {}">{}</span>').format(
            pin_class(lv.colour), lv.name.get(locale)) for lv in framework.levels}
    badges[None] = Markup('<span class="badge muted">{}</span>').format(gettext("no level yet"))
    return badges
