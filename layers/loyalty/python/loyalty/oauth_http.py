"""The edge of POST /oauth/token, the one public route: no authorizer context, form or JSON or HTTP Basic, and
bare RFC 6749 answers (§4.4.3 success, §5.2 errors) with Cache-Control: no-store.

`loyalty.http.endpoint` serves every other route; this route differs in each of the things it does (no tenant
from the authorizer, no 415, no envelope), so it has its own small edge, with the same spec mark for
tools/openapi.py and the same Status metrics. Limits shared with the other routes: the body is at most 64 KiB
(413 in the contract's envelope), 429 and 503 as everywhere.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from loyalty import jsontext
from loyalty.errors import ApiError, PayloadTooLarge
from loyalty.http import (
    FUNCTION_DIMENSION,
    MAX_BODY_BYTES,
    EndpointSpec,
    Response,
    error_response,
    is_json,
    is_media_type,
)
from loyalty.jsontext import has_surrogates
from loyalty.models.oauth import TokenAnswer, TokenRequest
from loyalty.observability import logger, metrics
from loyalty.services import oauth
from loyalty.services.oauth import OAuthError

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FIELDS = ("grant_type", "client_id", "client_secret", "scope")
_MAX_FIELD = 512  # longer values are no client's id, secret or scope


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def _text(event: dict[str, Any]) -> str:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded") and raw:
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise _invalid("The request body is not UTF-8.") from None
    if has_surrogates(raw):
        raise _invalid("The request body is not UTF-8.")
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def _fields(event: dict[str, Any], headers: dict[str, str]) -> dict[str, str]:
    """The request's parameters from a form or a JSON object; each once, each a string (RFC 6749 §3.2)."""
    raw = _text(event)
    if not raw.strip():
        return {}
    content_type = headers.get("content-type")
    pairs: list[tuple[str, Any]]
    if is_media_type(content_type, FORM_MEDIA_TYPE):
        try:
            pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, max_num_fields=20)
        except ValueError:
            raise _invalid("The form body is malformed.") from None
    elif is_json(content_type):
        try:
            document = json.loads(raw, object_pairs_hook=list)
        except (ValueError, RecursionError):
            raise _invalid("The request body is not valid JSON.") from None
        if not isinstance(document, list) or (document and not isinstance(document[0], tuple)):
            raise _invalid("The JSON body must be an object.")
        pairs = document
    else:
        raise _invalid(f"Send the parameters as {FORM_MEDIA_TYPE} or application/json.")
    found: dict[str, str] = {}
    for name, value in pairs:
        if name not in FIELDS:
            continue  # RFC 6749 §3.2: unrecognized parameters are ignored
        if name in found:
            raise _invalid(f"{name} is given more than once.")
        if not isinstance(value, str) or has_surrogates(value) or len(value) > _MAX_FIELD:
            raise _invalid(f"{name} must be a string of at most {_MAX_FIELD} characters.")
        found[name] = value
    return found


def _basic(headers: dict[str, str]) -> tuple[str, str] | None:
    """The client id and secret of `Authorization: Basic` (RFC 6749 §2.3.1: each form-encoded, then base64)."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(*oauth.INVALID_CLIENT, status=401)
    # Credentials that are not base64 of id:secret failed to authenticate the client: RFC 6749 §5.2, 401.
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise OAuthError(*oauth.INVALID_CLIENT, status=401) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(*oauth.INVALID_CLIENT, status=401)
    return unquote_plus(client_id), unquote_plus(secret)


def token(event: dict[str, Any]) -> dict[str, Any]:
    """The grant for one request, or OAuthError: the parameters are checked before the client is read."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    basic = _basic(headers)
    fields = _fields(event, headers)
    grant_type = fields.get("grant_type")
    if not grant_type:
        raise _invalid("grant_type is required: client_credentials.")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only grant_type client_credentials is supported.")
    if basic is not None:
        if "client_secret" in fields or fields.get("client_id", basic[0]) != basic[0]:
            raise _invalid("Authenticate the client one way: HTTP Basic or client_id and client_secret.")
        client_id, secret = basic
    else:
        client_id, secret = fields.get("client_id", ""), fields.get("client_secret", "")
    if not client_id or not secret:
        raise OAuthError(*oauth.INVALID_CLIENT, status=401)
    return oauth.grant(client_id, secret, fields.get("scope"))


def _refused(error: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if error.status == 401:  # every 401 names a scheme (RFC 7235 §3.1), whichever way the client authenticated
        headers["WWW-Authenticate"] = 'Basic realm="loyalty", charset="UTF-8"'
    body = {"error": error.error, "error_description": error.description}
    return Response(error.status, jsontext.render(body), headers)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The token route's Lambda handler."""
    try:
        answer = Response(200, jsontext.render(token(event)), dict(NO_STORE))
    except OAuthError as error:
        answer = _refused(error)
    except ApiError as exc:  # 413, 429, 503: as on every route
        answer = error_response(exc)
        answer.headers.update(NO_STORE)
    except Exception:  # a bug: logged with its trace, answered without it
        logger.exception("unhandled error")
        answer = Response(500, jsontext.render({"error": {"code": "internal_error", "message": "Internal error."}}))
    metrics.add_metric(name=f"Status{answer.status // 100}xx", unit=MetricUnit.Count, value=1)
    if answer.status >= 500:  # also per function: the route's alarm (only published when it fires)
        metrics.add_dimensions(**{FUNCTION_DIMENSION: getattr(context, "function_name", None) or "local"})
    return answer.to_proxy()


# What tools/openapi.py reads: the JSON shapes (the form takes the same fields), 200, bare, and the errors.
handler.api = EndpointSpec(  # type: ignore[attr-defined]
    body=TokenRequest, query=None, response=TokenAnswer, status=200, paged=False, errors=(401, 413), bare=True
)
