"""OpenAPI 3.1, generated from the route table and the shapes each handler declares (never by hand)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

from loyalty import VERSION
from loyalty.http import EndpointSpec
from loyalty.models.oauth import TokenError
from loyalty.models.types import Shape, Text, bounded_list, text
from loyalty.routes import ROUTES, SCOPES, STAGE, Route
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from tools.openapi_examples import NEXT_TOKEN, REQUEST_EXAMPLES, error_message, example_of, preview_example
from tools.openapi_text import OPERATIONS, TAGS

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"


class ErrorDetail(Shape):
    field: Text
    message: Text


class ErrorBody(Shape):
    code: text(example="validation_error")  # type: ignore[valid-type]  # a type made by a function (models/types.py)
    message: Text
    details: bounded_list(ErrorDetail) = None  # type: ignore[valid-type]  # a type made by a function (models/types.py)


class Error(Shape):
    error: ErrorBody


class ContractSchema(GenerateJsonSchema):
    """The models' JSON Schema as the document shows it: no generated titles or defaults, and a nullable
    value as one schema whose type includes null, so null is valid by construction. A nullable enum is
    `anyOf` its enum and null: every form lets null through, this one also gives a generated client one
    enum class and None (a type list beside an enum gives openapi-python-client a union of enum copies)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def model_schema(self, schema: Any) -> Any:
        out = super().model_schema(schema)
        out.pop("title", None)
        return out

    def default_schema(self, schema: Any) -> Any:
        return self.generate_inner(schema["schema"])

    def nullable_schema(self, schema: Any) -> Any:
        inner = self.generate_inner(schema["schema"])
        if not isinstance(inner.get("type"), str) or "enum" in inner:
            described = {"description": inner.pop("description")} if "description" in inner else {}
            return {**described, "anyOf": [inner, {"type": "null"}]}
        return {**inner, "type": [inner["type"], "null"]}


_ERROR_TEXT = {
    400: "validation_error: malformed JSON, wrong type, out of range, unknown field or bad nextToken",
    401: "unauthorized: missing, malformed, unknown or revoked API key",
    403: "forbidden: the key lacks the scope",
    404: "not_found: no such resource in this tenant",
    409: "a state conflict; the code names the rule",
    413: "payload_too_large: body over 64 KiB",
    415: "unsupported_media_type: a body not sent as Content-Type: application/json",
    422: "idempotency_key_reused: the key was used with another request",
    429: "throttled: retry after Retry-After seconds",
    503: "unavailable: retry after Retry-After seconds with the same Idempotency-Key",
}
# the one code of each error status but 409, whose codes each operation names (tools/openapi_text.py)
_ERROR_CODE = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "idempotency_key_reused",
    429: "throttled",
    503: "unavailable",
}
_SUCCESS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content: done, nothing to answer",
}
# Every POST takes an Idempotency-Key: a duplicate under the same key that arrives while the first runs gets this.
IN_PROGRESS = "request_in_progress"
# Every write answers this when a condition its transaction needs can never hold, so retrying won't help.
STUCK = "invalid_state"


def spec_of(route: Route) -> EndpointSpec:
    return importlib.import_module(route.module).handler.api


def _ref(model: type[Shape]) -> dict[str, Any]:
    return {"$ref": REF.format(model=model.__name__)}


def _query_schema(model: type[Shape]) -> dict[str, Any]:
    return model.model_json_schema(ref_template=REF, schema_generator=ContractSchema)


def _answer_schema(spec: EndpointSpec, components: dict[str, Any]) -> dict[str, Any]:
    item = _ref(spec.response) if spec.response else {"type": "object"}
    if spec.bare:
        return item
    if spec.paged:
        # a page is a list of items, or one object of lists (a member's offer redemptions with their offers)
        return {
            "type": "object",
            "properties": {
                "data": item if _whole(spec, components) else {"type": "array", "items": item},
                "nextToken": {"type": ["string", "null"]},
            },
            "required": ["data", "nextToken"],
            "additionalProperties": False,
        }
    return {
        "type": "object",
        "properties": {"data": item},
        "required": ["data"],
        "additionalProperties": False,
    }


def _whole(spec: EndpointSpec, components: dict[str, Any]) -> bool:
    """Whether a page's data is one object of lists rather than a list of items."""
    fields = components[spec.response.__name__]["properties"].values() if spec.response else ()
    return bool(fields) and all(field.get("type") == "array" for field in fields)


def _answer_example(spec: EndpointSpec, components: dict[str, Any]) -> Any:
    item = example_of(_ref(spec.response), components) if spec.response else {}
    if spec.bare:
        return item
    if spec.paged:
        return {"data": item if _whole(spec, components) else [item], "nextToken": NEXT_TOKEN}
    return {"data": item}


def _error(status: int, codes: tuple[str, ...]) -> dict[str, Any]:
    examples: dict[str, dict[str, Any]] = {
        code: {"summary": code, "value": {"error": {"code": code, "message": error_message(code)}}} for code in codes
    }
    if status == 400:
        examples["validation_error"]["value"]["error"]["details"] = [
            {"field": "points", "message": "must be a positive integer"}
        ]
    answer: dict[str, Any] = {
        "description": _ERROR_TEXT[status] if status != 409 else f"{_ERROR_TEXT[409]}: {', '.join(codes)}",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "examples": examples}},
    }
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait"}}
    return answer


def conflicts_of(route: Route) -> tuple[str, ...]:
    """The 409 codes an operation answers: its own rules', invalid_state for every write (a condition its
    transaction needs that can never hold: repository/retry.until_decided), request_in_progress for every POST."""
    codes = list(OPERATIONS[route.function].conflicts)
    if route.writes and STUCK not in codes:
        codes.append(STUCK)
    if route.method == "POST":
        codes.append(IN_PROGRESS)
    return tuple(codes)


def statuses_of(route: Route, spec: EndpointSpec) -> list[int]:
    """Every error status an operation can answer."""
    # any request may carry a body: one over 64 KiB is a 413, one not labelled JSON a 415, whatever the route
    statuses = {400, 401, 403, 413, 415, 429, 503, *spec.errors}
    if "{" in route.path:
        statuses.add(404)  # an unknown id, or a path value no id can have
    if route.method == "POST":
        statuses.add(422)
    if conflicts_of(route):
        statuses.add(409)
    else:
        statuses.discard(409)
    return sorted(statuses)


def _description(route: Route) -> str:
    words = OPERATIONS[route.function]
    scopes = ", ".join(scope for scope in SCOPES if scope in route.scopes)
    parts = [words.description, f"Scopes: {scopes}."]
    if route.method == "POST":
        parts.append(
            "Takes an `Idempotency-Key`: the same key and body within 24 h replay the first answer "
            "(`Idempotent-Replayed: true`), another body is `422 idempotency_key_reused`, a duplicate that "
            "arrives while the first runs is `409 request_in_progress` (retry it)."
        )
    codes = conflicts_of(route)
    if codes:
        parts.append("409 codes: " + ", ".join(f"`{code}`" for code in codes) + ".")
    if route.writes:
        parts.append(
            "Any write answers `409 invalid_state` when the stored state can never meet a condition it needs "
            "(retrying won't help)."
        )
    return "\n\n".join(parts)


def _operation(route: Route, spec: EndpointSpec, components: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:@$-]{1,128}$"},
        }
        for name in re.findall(r"\{([^}]+)\}", route.path)
    ]
    query = _query_schema(spec.query) if spec.query else {"properties": {}}
    for name, field in query["properties"].items():
        parameters.append({"name": name, "in": "query", "required": name in query.get("required", ()), "schema": field})
    idempotent = route.method == "POST"
    if idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Same key and body within 24 h replay the first answer",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": r"^[\x21-\x7e][\x20-\x7e]*$",
                },
            }
        )
    success = {
        "schema": _answer_schema(spec, components),
        "example": _answer_example(spec, components),
    }
    responses: dict[str, Any] = {}
    for status in sorted({spec.status, *spec.also}):
        text = _SUCCESS_TEXT[status]
        if status != spec.status:
            text += ": the same request was made before; this is what it did"
        responses[str(status)] = {"description": text, "content": {"application/json": success}}
        if status == 204:  # no body (a delete)
            del responses[str(status)]["content"]
        if idempotent:
            responses[str(status)]["headers"] = {
                "Idempotent-Replayed": {"schema": {"type": "string"}, "description": "true on a replay"}
            }
    if spec.previews:  # a preview's 200 beside the 201: what the request would do, with no ids
        responses["200"] = {
            "description": f"{_SUCCESS_TEXT[200]}: a preview (`dryRun: true`); nothing was written",
            "content": {
                "application/json": {**success, "example": {"data": preview_example(success["example"]["data"])}}
            },
        }
        responses = dict(sorted(responses.items()))
    conflicts = conflicts_of(route)
    for status in statuses_of(route, spec):
        responses[str(status)] = _error(status, conflicts if status == 409 else (_ERROR_CODE[status],))
    operation: dict[str, Any] = {
        "operationId": route.function,
        "summary": route.summary,
        "description": _description(route),
        "tags": [route.tag],
        "x-scopes": sorted(route.scopes),
        "parameters": parameters,
        "responses": responses,
    }
    if spec.body is not None:
        operation["requestBody"] = {
            # A request without a body is the empty object (a PATCH of nothing, a reversal without a reason): the
            # body is required only where the object has a required field.
            "required": any(field.is_required() for field in spec.body.model_fields.values()),
            "content": {
                "application/json": {"schema": _ref(spec.body), "example": REQUEST_EXAMPLES[spec.body.__name__]}
            },
        }
    return operation


_OAUTH_ERRORS = {
    "invalid_request": "A parameter is missing, repeated or malformed, or the body is neither a form nor JSON.",
    "unsupported_grant_type": "Only grant_type client_credentials is supported.",
    "invalid_scope": "scope must be space-separated scopes of this client: integration read.",
    "invalid_client": "The client is unknown, revoked, or its secret is wrong.",
}


def _oauth_error(status: int, codes: tuple[str, ...], description: str) -> dict[str, Any]:
    examples = {
        code: {"summary": code, "value": {"error": code, "error_description": _OAUTH_ERRORS[code]}} for code in codes
    }
    answer: dict[str, Any] = {
        "description": description,
        "headers": {"Cache-Control": {"schema": {"type": "string"}, "description": "no-store"}},
        "content": {"application/json": {"schema": {"$ref": REF.format(model="TokenError")}, "examples": examples}},
    }
    if status == 401:
        answer["headers"]["WWW-Authenticate"] = {
            "schema": {"type": "string"},
            "description": "Basic realm=... (on every 401: RFC 7235)",
        }
    return answer


def _public_operation(route: Route, spec: EndpointSpec, components: dict[str, Any]) -> dict[str, Any]:
    """The one public route (POST /oauth/token): no security, a form or JSON body, bare RFC 6749 answers."""
    assert spec.body is not None and spec.response is not None
    example = REQUEST_EXAMPLES[spec.body.__name__]
    no_store = {"schema": {"type": "string"}, "description": "no-store"}
    responses: dict[str, Any] = {
        "200": {
            "description": "OK: the access token (RFC 6749 §5.1)",
            "headers": {"Cache-Control": no_store, "Pragma": {"schema": {"type": "string"}, "description": "no-cache"}},
            "content": {
                "application/json": {
                    "schema": _ref(spec.response),
                    "example": example_of(_ref(spec.response), components),
                }
            },
        },
        "400": _oauth_error(
            400, ("invalid_request", "unsupported_grant_type", "invalid_scope"), "RFC 6749 §5.2: the request is refused"
        ),
        "401": _oauth_error(401, ("invalid_client",), "invalid_client: unknown client, wrong secret or revoked client"),
    }
    for status in (413, 429, 503):
        responses[str(status)] = _error(status, (_ERROR_CODE[status],))
    return {
        "operationId": route.function,
        "summary": route.summary,
        "description": OPERATIONS[route.function].description,
        "tags": [route.tag],
        "security": [],
        "parameters": [],
        "requestBody": {
            "required": True,
            "content": {
                # JSON first: the reference page shows the first media type, and JSON as on every other route
                "application/json": {"schema": _ref(spec.body), "example": example},
                "application/x-www-form-urlencoded": {"schema": _ref(spec.body), "example": example},
            },
        },
        "responses": responses,
    }


DEPLOYED_SERVER = {
    "url": f"https://{{apiId}}.execute-api.{{region}}.amazonaws.com/{STAGE}",
    "description": "deployed (the stack's ApiUrl output)",
    "variables": {
        "apiId": {"default": "abc123", "description": "the REST API id in the ApiUrl output"},
        "region": {"default": "us-east-1", "description": "the AWS region the stack is deployed to"},
    },
}


def build_document(local_url: str = f"http://127.0.0.1:3000/{STAGE}") -> dict[str, Any]:
    """The whole OpenAPI document for the current route table; the local API passes the URL it serves on."""
    specs = [(route, spec_of(route)) for route in ROUTES]
    models: set[type[Shape]] = {
        Error,
        *(TokenError for route, _ in specs if route.public),
        *(model for _, spec in specs for model in (spec.body, spec.response) if model is not None),
    }
    _, schemas = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF,
        schema_generator=ContractSchema,
    )
    components = schemas["$defs"]
    paths: dict[str, dict[str, Any]] = {}
    for route, spec in specs:
        build = _public_operation if route.public else _operation
        paths.setdefault(route.path, {})[route.method.lower()] = build(route, spec, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty & Offers API",
            "version": VERSION,
            "description": "Multi-tenant loyalty programs and merchant offers. Conventions (auth, envelope, "
            "errors, idempotency, pagination): docs/guide.md in the repository.",
            "contact": {"name": "Loyalty & Offers API maintainers"},
        },
        "servers": [{"url": local_url, "description": "local (make serve)"}, DEPLOYED_SERVER],
        "security": [{"apiKey": []}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "API key"}},
            "schemas": dict(sorted(components.items())),
        },
    }


def render_document() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False) + "\n"


def write_document(path: Path = DOCUMENT_PATH) -> Path:
    path.write_text(render_document())
    return path
