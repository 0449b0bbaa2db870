"""Domain errors the web and API layers turn into clear 4xx answers in Chinese."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code: str | None = None  # the API's machine code; None: the status's (ipoc.web.problems.CODES)

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class InvalidInput(DomainError):
    status_code = 422


class PayloadTooLarge(InvalidInput):
    """An upload past its limit: 413, though callers that catch InvalidInput still catch it."""

    status_code = 413
