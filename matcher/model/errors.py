"""One error hierarchy: every failure matcher raises is a MatcherError with structured fields."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a rule or catalogue file, with its place and a suggestion."""

    file: str
    line: int
    message: str
    suggestion: str = ""
    severity: str = "error"  # "error" stops a rulebook loading; "warning" does not

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{self.file}:{self.line}: {self.severity}: {self.message}{hint}"


@dataclass(frozen=True)
class FieldError:
    """One bad field in an assessment: its JSON path and what is wrong."""

    path: str
    message: str


class MatcherError(Exception):
    """Base of every error matcher raises on purpose."""


class RulebookError(MatcherError):
    """The rules or catalogue cannot be loaded; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} problem(s) in the rulebook; first: {errors[0] if errors else '-'}"
        )


class AssessmentError(MatcherError):
    """An assessment is structurally valid but uses codes the vocabulary does not know."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))


class EngineError(MatcherError):
    """durable_rules failed while evaluating (an action raised, or the engine refused)."""


class EngineBusyError(MatcherError):
    """Every evaluation slot is in use; the caller may retry."""
