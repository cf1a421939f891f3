"""Errors of the competency engine: a bad curriculum file, or evidence that does not fit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a curriculum file.

    ``where`` is the place inside the file as a path of keys and list positions
    (``packages[1].skills[2].indicators[0].points``), empty for the file as a whole;
    ``line`` is 1-based, ``None`` when unknown.
    """

    file: str
    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else self.file
        place = f" {self.where}:" if self.where else ""
        return f"{location}:{place} {self.message}"


class CurriculumError(ValueError):
    """A curriculum file or directory is invalid.

    ``problems`` holds every problem found (not only the first); ``str(error)`` is one
    line per problem, each naming the file, the line, the place and what is wrong.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class GradingError(ValueError):
    """Evidence that does not fit the framework.

    Raised for an unknown skill or indicator, a missing indicator score, a score outside
    the scale, or a skill mask with bits the framework does not have.
    """
