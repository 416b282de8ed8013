"""OpenAPI 3.1, generated from the route table and the shapes each handler declares (never by hand)."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

from loyalty import VERSION
from loyalty.http import EndpointSpec
from loyalty.models.types import Shape, Text, bounded_list, text
from loyalty.routes import ROUTES, STAGE, Route
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

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
    value as one schema whose type (and enum, if any) include null, so null is valid by construction."""

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
        if not isinstance(inner.get("type"), str):
            return {"anyOf": [inner, {"type": "null"}]}
        out = {**inner, "type": [inner["type"], "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out


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
        fields = components[spec.response.__name__]["properties"].values() if spec.response else ()
        whole = bool(fields) and all(field.get("type") == "array" for field in fields)
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
    statuses = {400, 401, 403, 429, 503, *spec.errors}
    if spec.body is not None:
        statuses |= {413, 415}
    if idempotent:
        statuses |= {409, 422}  # 409 request_in_progress while a duplicate under the same key runs
    responses: dict[str, Any] = {
        str(spec.status): {
            "description": "Success",
            "content": {"application/json": {"schema": _answer_schema(spec, components)}},
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
            "content": {"application/json": {"schema": _ref(spec.body)}},
        }
    return operation


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
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, spec, components)
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
            "schemas": dict(sorted(components.items())),
        },
    }


def render_document() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=False) + "\n"


def write_document(path: Path = DOCUMENT_PATH) -> Path:
    path.write_text(render_document())
    return path
