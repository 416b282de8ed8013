"""API errors: each carries the HTTP status and snake_case code the contract assigns it."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered to the client in the contract's envelope."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class ValidationFailed(ApiError):
    status, code, message = 400, "validation_error", "The request is not valid."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "A valid API key is required."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "This API key may not call this operation."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "The resource does not exist."


class Conflict(ApiError):
    """A 409 state conflict; the code says which rule refused the request."""

    status = 409
    message = "The request conflicts with the current state."

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        super().__init__(message, details=details, headers=headers)


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is larger than 64 KiB."


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"
    message = "The request body must be JSON, sent with Content-Type: application/json."


class IdempotencyKeyReused(ApiError):
    status, code = 422, "idempotency_key_reused"
    message = "This Idempotency-Key was used with a different request."


class Throttled(ApiError):
    status, code, message = 429, "throttled", "Too many requests; retry after the delay given."

    def __init__(self, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Unavailable(ApiError):
    status, code, message = 503, "unavailable", "The service is briefly unavailable; retry after the delay."

    def __init__(self, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
