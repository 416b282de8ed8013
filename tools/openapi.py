"""OpenAPI 3.1, generated from the route table and the shapes each handler declares (never by hand)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

from loyalty import VERSION
from loyalty.http import EndpointSpec
from loyalty.routes import ROUTES, STAGE, Route
from loyalty.schema import Array, Field, Object, Str

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"

ERROR = Object(
    "Error",
    {
        "error": Object(
            "ErrorBody",
            {
                "code": Str(required=True, example="validation_error"),
                "message": Str(required=True),
                "details": Array(Object("ErrorDetail", {"field": Str(required=True), "message": Str(required=True)})),
            },
            required=True,
        )
    },
)

_ERROR_TEXT = {
    400: "validation_error: malformed JSON, wrong type, out of range, unknown field or bad nextToken",
    401: "unauthorized: missing, malformed, unknown or revoked API key",
    403: "forbidden: the key lacks the scope",
    404: "not_found: no such resource in this tenant",
    409: "a state conflict; the code names the rule",
    413: "payload_too_large: body over 64 KiB",
    422: "idempotency_key_reused: the key was used with another request",
    429: "throttled: retry after Retry-After seconds",
    503: "unavailable: retry after Retry-After seconds with the same Idempotency-Key",
}


def spec_of(route: Route) -> EndpointSpec:
    return importlib.import_module(route.module).handler.api


def _answer_schema(spec: EndpointSpec) -> dict[str, Any]:
    item = spec.response.schema() if spec.response else {"type": "object"}
    if spec.bare:
        return item
    if spec.paged:
        # a page is a list of items, or one object of lists (a member's offer redemptions with their offers)
        whole = isinstance(spec.response, Object) and all(isinstance(f, Array) for f in spec.response.fields.values())
        return {
            "type": "object",
            "properties": {
                "data": item if whole else {"type": "array", "items": item},
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


def _error(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _ERROR_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait"}}
    return answer


def _operation(route: Route, spec: EndpointSpec) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:@$-]{1,128}$"},
        }
        for name in re.findall(r"\{([^}]+)\}", route.path)
    ]
    for name, field in (spec.query.fields if spec.query else {}).items():
        parameters.append({"name": name, "in": "query", "required": field.required, "schema": field.schema()})
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
    statuses = {400, 401, 403, 429, 503, *spec.errors}
    if spec.body is not None:
        statuses |= {413}
    if idempotent:
        statuses |= {409, 422}  # 409 request_in_progress while a duplicate under the same key runs
    responses: dict[str, Any] = {
        str(spec.status): {
            "description": "Success",
            "content": {"application/json": {"schema": _answer_schema(spec)}},
        }
    }
    if idempotent:
        responses[str(spec.status)]["headers"] = {
            "Idempotent-Replayed": {"schema": {"type": "string"}, "description": "true on a replay"}
        }
    responses.update({str(code): _error(code) for code in sorted(statuses)})
    operation: dict[str, Any] = {
        "operationId": route.function,
        "summary": route.summary,
        "tags": [route.tag],
        "x-scopes": sorted(route.scopes),
        "parameters": parameters,
        "responses": responses,
    }
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": spec.body.schema()}},
        }
    return operation


def _collect(field: Field | None, found: dict[str, Object]) -> None:
    if isinstance(field, Object | Array):
        root = field if isinstance(field, Object) else Object(None, {"items": field})
        found.update(root.named_objects())


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
    paths: dict[str, dict[str, Any]] = {}
    named: dict[str, Object] = dict(ERROR.named_objects())
    for route in ROUTES:
        spec = spec_of(route)
        for field in (spec.body, spec.response):
            _collect(field, named)
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty & Offers API",
            "version": VERSION,
            "description": "Multi-tenant loyalty programs and merchant offers. Conventions (auth, envelope, "
            "errors, idempotency, pagination): docs/guide.md in the repository.",
        },
        "servers": [{"url": local_url, "description": "local (make serve)"}, DEPLOYED_SERVER],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "API key"}},
            "schemas": {name: obj.inline_schema() for name, obj in sorted(named.items())},
        },
    }


def render_document() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False) + "\n"


def write_document(path: Path = DOCUMENT_PATH) -> Path:
    path.write_text(render_document())
    return path
