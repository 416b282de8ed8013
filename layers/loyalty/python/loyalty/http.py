"""HTTP conventions: the request a handler sees, the envelope it answers in, and the Lambda wrapper."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from loyalty import jsontext
from loyalty.caller import Caller, Replayed
from loyalty.errors import ApiError, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from loyalty.jsontext import has_surrogates
from loyalty.models.types import MAX_PROBLEMS, Shape, checked
from loyalty.observability import logger, metrics
from loyalty.results import Answer, Page

MAX_BODY_BYTES = 64 * 1024
NO_CONTENT = 204
JSON_MEDIA_TYPE = "application/json"
MAX_DEPTH = 32  # JSON nesting levels; the deepest request shape needs 4
_PATH_VALUE = re.compile(r"[A-Za-z0-9._:@$-]{1,128}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")
# Status5xx is published per service and, with this dimension, per function (the Lambda function's name).
FUNCTION_DIMENSION = "FunctionName"


@dataclass
class Request:
    """What a handler needs of an API Gateway proxy event, already checked."""

    tenant_id: str
    scopes: frozenset[str]
    method: str
    path: str
    params: dict[str, str]
    query: Any  # the operation's query shape, checked (None if it takes no query)
    body: Any  # the operation's body shape, checked (None if it takes no body)
    idempotency_key: str | None = None
    principal: str = ""  # the authorizer's keyId (or an OAuth clientId): who the caller is

    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def caller(self) -> Caller:
        """The plain caller a service sees; the fingerprint says what makes two requests "the same"."""
        return Caller(
            self.tenant_id,
            self.idempotency_key,
            fingerprint(self.method, self.path, self.body.given() if self.body is not None else {})
            if self.idempotency_key
            else "",
            self.is_admin(),
            self.principal,
        )


def fingerprint(method: str, path: str, body: dict[str, Any]) -> str:
    """Method, path and the body's JSON value (key order and spacing do not matter)."""
    return jsontext.digest(body, prefix=f"{method} {path}\n")


@dataclass
class Response:
    """A rendered answer: status, JSON text and headers."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def to_proxy(self) -> dict[str, Any]:
        typed = {"Content-Type": "application/json"} if self.status != NO_CONTENT else {}
        return {"statusCode": self.status, "headers": {**typed, **self.headers}, "body": self.body}


render = jsontext.render


def error_response(error: ApiError) -> Response:
    return Response(error.status, render(error.body()), dict(error.headers))


def render_result(result: Any, status: int, bare: bool) -> Response:
    """Render what a service returned: a dict in the envelope, a Page as a list, an Answer with its status."""
    if isinstance(result, Page):
        return Response(200, render({"data": result.items, "nextToken": result.next_token}))
    if isinstance(result, Answer):
        return Response(result.status, jsontext.envelope(result.data))
    if status == NO_CONTENT:  # a delete: nothing to answer (the service returned None)
        return Response(NO_CONTENT, "")
    return Response(status, render(result) if bare else jsontext.envelope(result))


@dataclass(frozen=True)
class EndpointSpec:
    """What the OpenAPI generator reads off a handler: its shapes and statuses."""

    body: type[Shape] | None
    query: type[Shape] | None
    response: type[Shape] | None
    status: int
    paged: bool
    errors: tuple[int, ...]
    bare: bool
    also: tuple[int, ...] = ()  # other success statuses an `Answer` of the handler may carry
    previews: bool = False  # a body may ask for a preview: answered 200, nothing written (no Idempotency-Key)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """object_pairs_hook: a key given twice is an error, never "the last one wins"."""
    document: dict[str, Any] = {}
    for name, value in pairs:
        if has_surrogates(name):
            raise ValidationFailed("The request body holds a field name that is not valid Unicode.")
        if name in document:
            raise ValidationFailed(details=[{"field": name, "message": "is given more than once"}])
        document[name] = value
    return document


def _not_json(name: str) -> Any:
    """parse_constant: NaN and Infinity are not JSON (Python's parser accepts them by default)."""
    raise ValueError(name)


def _check_text(value: Any, depth: int = 0) -> None:
    """Refuse documents nested deeper than MAX_DEPTH and strings that are not valid Unicode."""
    if depth > MAX_DEPTH:
        raise ValidationFailed(f"The request body is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        if has_surrogates(value):
            raise ValidationFailed("The request holds a string that is not valid Unicode (a lone surrogate).")
    elif isinstance(value, dict):
        for child in value.values():
            _check_text(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            _check_text(child, depth + 1)


def is_json(content_type: str | None) -> bool:
    """`application/json`, in any case, with no parameter but `charset=utf-8` (JSON is UTF-8: RFC 8259)."""
    return is_media_type(content_type, JSON_MEDIA_TYPE)


def is_media_type(content_type: str | None, expected: str) -> bool:
    """`expected`, in any case, with no parameter but `charset=utf-8`."""
    if content_type is None:
        return False
    media_type, *parameters = content_type.split(";")
    if media_type.strip().lower() != expected:
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "charset" or value.strip().strip('"').lower() != "utf-8":
            return False
    return True


def _check_media_type(event: dict[str, Any], headers: dict[str, str]) -> None:
    """A request that sends a body says it is JSON; one without a body needs no Content-Type."""
    if event.get("body") and not is_json(headers.get("content-type")):
        raise UnsupportedMediaType()


def _parse_body(event: dict[str, Any], schema: type[Shape] | None) -> Shape | None:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded") and raw:
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationFailed("The request body is not UTF-8 JSON.") from exc
    if has_surrogates(raw):
        raise ValidationFailed("The request body is not UTF-8 JSON.")
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    if schema is None:
        if raw.strip() not in ("", "{}"):
            raise ValidationFailed("This operation takes no request body.")
        return None
    try:
        # No body is the empty object; a body of blanks is no JSON document (json.loads refuses it)
        document = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_not_json) if raw else {}
    except RecursionError as exc:
        raise ValidationFailed(f"The request body is nested more than {MAX_DEPTH} levels deep.") from exc
    except ValueError as exc:
        raise ValidationFailed("The request body is not valid JSON.") from exc
    _check_text(document)
    return checked(schema, document)


def _parse_query(event: dict[str, Any], schema: type[Shape] | None) -> Shape | None:
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    values: dict[str, Any] = {}
    for name, value in single.items():
        if has_surrogates(name) or not isinstance(value, str) or has_surrogates(value):
            raise ValidationFailed("The query string is not valid UTF-8.")
        if len(multi.get(name) or [value]) > 1:
            raise ValidationFailed(details=[{"field": name, "message": "must be given once"}])
        values[name] = value
    if schema is None:  # no model to build for an operation that takes no query
        unknown = [{"field": name, "message": "is not a known field"} for name in values]
        if unknown:
            raise ValidationFailed(details=unknown[:MAX_PROBLEMS])
        return None
    return checked(schema, values)


def _parse_params(event: dict[str, Any]) -> dict[str, str]:
    params = event.get("pathParameters") or {}
    for value in params.values():
        if not isinstance(value, str) or not _PATH_VALUE.fullmatch(value):
            raise NotFound()
    return dict(params)


def _idempotency_key(headers: dict[str, str], method: str) -> str | None:
    value = headers.get("idempotency-key")
    if value is None or method != "POST":
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        raise ValidationFailed(
            details=[{"field": "Idempotency-Key", "message": "must be 1 to 255 printable characters"}]
        )
    return value


def parse(event: dict[str, Any], body: type[Shape] | None, query: type[Shape] | None) -> Request:
    """Turn an API Gateway REST (v1) proxy event into a checked Request."""
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if isinstance(v, str)}
    method = event.get("httpMethod", "GET")
    _check_media_type(event, headers)
    document = _parse_body(event, body)
    return Request(
        tenant_id=context["tenantId"],
        scopes=frozenset(str(context.get("scopes", "")).split()),
        method=method,
        path=event.get("path", ""),
        params=_parse_params(event),
        query=_parse_query(event, query),
        body=document,
        idempotency_key=_idempotency_key(headers, method),
        principal=str(context.get("clientId") or context.get("keyId") or ""),
    )


def endpoint(
    *,
    body: type[Shape] | None = None,
    query: type[Shape] | None = None,
    response: type[Shape] | None = None,
    status: int = 200,
    paged: bool = False,
    errors: tuple[int, ...] = (),
    bare: bool = False,
    also: tuple[int, ...] = (),
    preview: Callable[[Any], bool] | None = None,
) -> Callable[[Callable[[Request], Any]], Callable[[dict[str, Any], Any], dict[str, Any]]]:
    """Wrap a thin handler: parse and check the event, call, render in the envelope, answer replays.

    The handler returns what its service returns: a dict (answered with `status`), a `Page`, or
    an `Answer` (with one of the statuses in `also`); a `Replayed` raised by the service is answered
    with the stored first answer. `preview(body)` true: the request only asks what it would do (`dryRun`),
    so its Idempotency-Key is dropped here, neither replayed nor stored, and the service answers 200.
    """

    for shape in (body, query):  # built now, in init, so the first request does not pay for it
        if shape is not None:
            shape.model_rebuild()

    def wrap(operation: Callable[[Request], Any]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        @metrics.log_metrics
        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            try:
                request = parse(event, body, query)
                if preview is not None and preview(request.body):
                    request.idempotency_key = None  # a preview writes nothing, not even a replay
                if request.idempotency_key:
                    from loyalty.operation import replay_first  # POSTs only: GETs never load it

                    replay_first(request.caller)
                answer = render_result(operation(request), status, bare)
            except Replayed as replay:
                answer = Response(replay.status, replay.body, {"Idempotent-Replayed": "true"})
            except ApiError as exc:
                answer = error_response(exc)
                if exc.status >= 500 or exc.status == 429:
                    logger.warning("request not served", extra={"code": exc.code})
            except Exception:  # a bug: logged with its trace, answered without it
                logger.exception("unhandled error")
                answer = Response(500, render({"error": {"code": "internal_error", "message": "Internal error."}}))
            metrics.add_metric(name=f"Status{answer.status // 100}xx", unit=MetricUnit.Count, value=1)
            if answer.status >= 500:  # also per function: the route's alarm (only published when it fires)
                metrics.add_dimensions(**{FUNCTION_DIMENSION: getattr(context, "function_name", None) or "local"})
            return answer.to_proxy()

        spec = EndpointSpec(body, query, response, status, paged, errors, bare, also, preview is not None)
        handler.api = spec  # type: ignore[attr-defined]  # a mark on the function: tools/openapi.py reads it
        handler.operation = operation  # type: ignore[attr-defined]  # likewise: the undecorated call
        return handler

    return wrap
