"""API Gateway's own answers (no key, no scope, throttled, failed integrations) in the contract's error envelope.

Every response type the gateway can answer with is mapped to the status and code that say what
happened, so a client retries only what may succeed later (429 and 503 carry Retry-After). The two
catch-alls, DEFAULT_4XX and DEFAULT_5XX, get the envelope but keep the gateway's own status: a status
set on them would rewrite every unmapped response of that class (a 415 into a 400, a 502 into a 503).
The CDK stack installs these as gateway responses and the local stand-in answers with the same.
"""

from __future__ import annotations

import json

from loyalty.errors import UnsupportedMediaType

# Statuses that tell the client to come back: they carry Retry-After.
RETRYABLE = (429, 503)

# gateway response type → (status, or None to keep the gateway's own; code; message)
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str]] = {
    "UNAUTHORIZED": (401, "unauthorized", "A valid API key is required."),
    "ACCESS_DENIED": (403, "forbidden", "This API key may not call this operation."),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No such route."),
    "RESOURCE_NOT_FOUND": (404, "not_found", "No such route."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request body is too large."),
    # the functions answer a body that is not JSON with the same (loyalty/http.py)
    "UNSUPPORTED_MEDIA_TYPE": (415, UnsupportedMediaType.code, UnsupportedMediaType.message),
    "BAD_REQUEST_BODY": (400, "validation_error", "The request is not valid."),
    "BAD_REQUEST_PARAMETERS": (400, "validation_error", "The request is not valid."),
    "THROTTLED": (429, "throttled", "Too many requests; retry after a short delay."),
    "QUOTA_EXCEEDED": (429, "throttled", "The request quota is used up; retry later."),
    # Keys are checked by our authorizer; these are the gateway's own credential checks, which no
    # caller of this API passes through (IAM signatures, tokens, WAF, the authorizer's usage key).
    "INVALID_API_KEY": (403, "forbidden", "This API key may not call this API."),
    "INVALID_SIGNATURE": (403, "forbidden", "The request signature is not valid."),
    "EXPIRED_TOKEN": (403, "forbidden", "The token has expired."),
    "WAF_FILTERED": (403, "forbidden", "The request was blocked."),
    # The authorizer only reads the key's record: it fails when DynamoDB does (timeout, throttling).
    "AUTHORIZER_FAILURE": (503, "unavailable", "The service is briefly unavailable; retry after a short delay."),
    # A misconfigured stack: retrying will not help.
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "internal_error", "Internal error."),
    "API_CONFIGURATION_ERROR": (500, "internal_error", "Internal error."),
    # The function crashed, ran out of time or memory, or answered more than 6 MB: not worth retrying at once.
    "INTEGRATION_FAILURE": (502, "internal_error", "The operation failed at the server."),
    "INTEGRATION_TIMEOUT": (
        504,
        "timeout",
        "The operation did not answer in time; retry with the same Idempotency-Key.",
    ),
    "DEFAULT_4XX": (None, "bad_request", "The request could not be processed."),
    "DEFAULT_5XX": (None, "internal_error", "Internal error."),
}


def body(response_type: str) -> str:
    _, code, message = GATEWAY_RESPONSES[response_type]
    return json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))


def retry_after(response_type: str) -> dict[str, str]:
    """Throttles and 503s tell the client when to retry; nothing else does."""
    status = GATEWAY_RESPONSES[response_type][0]
    return {"Retry-After": "1"} if status in RETRYABLE else {}
