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


class StoreError(MatcherError):
    """Stored plans cannot be read or written."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached (or stays locked); planning without storing still works."""


class NotFoundError(StoreError):
    """No stored plan (or person) by that id: never stored, or erased."""


class VersionConflictError(StoreError):
    """The plan has moved on since the version the caller saw (a lost update was refused)."""

    def __init__(self, plan_id: str, expected: int, current: int) -> None:
        self.plan_id, self.expected, self.current = plan_id, expected, current
        super().__init__(
            f"plan {plan_id} is at version {current}, not {expected}: read it again and retry"
        )


class IdempotencyKeyReusedError(StoreError):
    """An Idempotency-Key already used for a different request."""
