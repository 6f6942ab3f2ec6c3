"""The one family of errors derive raises; the CLI turns each into one line and exit 2."""

__all__ = [
    "DeriveError",
    "InputError",
    "UndefinedError",
    "AnswerSyntaxError",
    "BackendUnavailable",
    "RenderError",
]


class DeriveError(ValueError):
    """Base class: any error whose message is meant for the user, not a traceback."""


class InputError(DeriveError):
    """A parameter is malformed or out of range; the message names the field."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class UndefinedError(DeriveError):
    """The math itself is undefined for these inputs (e.g. 1/sqrt(0) with eps = 0)."""


class AnswerSyntaxError(DeriveError):
    """A typed answer could not be parsed; carries the 0-based position of the problem."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.text = text
        self.position = position
        where = f" at position {position + 1}" if position is not None else ""
        super().__init__(f"answer{where}: {message}")


class BackendUnavailable(DeriveError):
    """A numeric backend or device was asked for but is not installed or present."""


class RenderError(DeriveError):
    """LaTeX/PDF rendering failed (pdflatex missing, timed out or reported an error)."""
