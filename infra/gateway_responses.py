"""API Gateway's own answers (no key, no scope, throttled, 5xx) in the contract's error envelope.

The CDK stack installs these as gateway responses and the local stand-in answers with the same.
"""

from __future__ import annotations

import json

# gateway response type → (status, code, message)
GATEWAY_RESPONSES: dict[str, tuple[int, str, str]] = {
    "UNAUTHORIZED": (401, "unauthorized", "A valid API key is required."),
    "ACCESS_DENIED": (403, "forbidden", "This API key may not call this operation."),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No such route."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request body is too large."),
    "THROTTLED": (429, "throttled", "Too many requests; retry after a short delay."),
    "QUOTA_EXCEEDED": (429, "throttled", "The request quota is used up; retry later."),
    "BAD_REQUEST_BODY": (400, "validation_error", "The request is not valid."),
    "BAD_REQUEST_PARAMETERS": (400, "validation_error", "The request is not valid."),
    "DEFAULT_4XX": (400, "bad_request", "The request could not be processed."),
    "DEFAULT_5XX": (503, "unavailable", "The service is briefly unavailable; retry after a short delay."),
}


def body(response_type: str) -> str:
    _, code, message = GATEWAY_RESPONSES[response_type]
    return json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))


def retry_after(response_type: str) -> dict[str, str]:
    """Throttles and 5xx tell the client when to retry."""
    status = GATEWAY_RESPONSES[response_type][0]
    return {"Retry-After": "1"} if status in (429, 503) else {}
