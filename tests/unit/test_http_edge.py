"""The Lambda edge (loyalty/http.py) answers crafted events with a 400 in the envelope, never a 5xx,
and always with a body that can be sent as UTF-8 (issue 10, defect 7)."""

import base64
import json
import secrets

import pytest
from loyalty.errors import UnsupportedMediaType
from loyalty.http import is_json

from functions.create_member.app import handler as create_member
from functions.list_members.app import handler as list_members
from functions.update_program.app import handler as update_program
from tools.local.gateway import LambdaContext


def event(body=None, query=None, base64_body=False):
    return {
        "resource": "/members",
        "path": "/members",
        "httpMethod": "POST" if body is not None else "GET",
        "headers": {"Content-Type": "application/json"} if body is not None else {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "requestContext": {"authorizer": {"tenantId": "edge", "scopes": "admin", "keyId": "k"}},
        "body": body,
        "isBase64Encoded": base64_body,
    }


def answer(handler, proxy_event):
    result = handler(proxy_event, LambdaContext("test", "r-1"))
    result["body"].encode("utf-8")  # what the Lambda runtime must be able to send
    return result["statusCode"], json.loads(result["body"])


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "\\ud800@example.com"}',  # a JSON escape of a lone surrogate
        '{"email": "a@example.com", "\\ud800": 1}',  # ... as a field name
        '{"email": "\ud800@example.com"}',  # the surrogate itself in the event's text
        "[" * 1000 + "]" * 1000,
        '{"email":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
        '{"email": "a@example.com", "email": "b@example.com"}',
        '{"email": NaN}',
        '{"email": "a@example.com", "firstName": "\\u0000"}',
        '{"email": "a@example.com", "birthdate": "2019-W01-1"}',
    ],
)
def test_crafted_bodies_are_a_400_validation_error(body):
    status, document = answer(create_member, event(body))
    assert status == 400 and document["error"]["code"] == "validation_error", document


def test_bodies_that_are_not_utf8_and_crafted_queries_are_a_400():
    raw = base64.b64encode(b'{"email": "\xff"}').decode()
    assert answer(create_member, event(raw, base64_body=True))[0] == 400
    for query in ({"nextToken": "e30.\u00e9"}, {"nextToken": "\ud800"}, {"\ud800": "1"}, {"limit": "\uff11"}):
        status, document = answer(list_members, event(query=query))
        assert status == 400 and document["error"]["code"] == "validation_error", (query, document)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "APPLICATION/JSON", "application/json; charset=utf-8", 'Application/Json ;Charset="UTF-8"'],
)
def test_json_with_or_without_a_utf8_charset_is_json(content_type):
    assert is_json(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/xml",
        "text/plain",
        "text/json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/json; profile=x",
        "application/json; charset",
        "application/json, text/plain",
    ],
)
def test_anything_else_is_not_json(content_type):
    assert not is_json(content_type)


def test_a_body_labelled_other_than_json_is_a_415_before_it_is_read_and_no_body_needs_no_label():
    for content_type in ("text/plain", None):
        proxy_event = event('{"email": "edge@example.com"}')
        proxy_event["headers"] = {"Content-Type": content_type} if content_type else {}
        status, document = answer(create_member, proxy_event)
        assert status == 415, document
        assert document == {"error": {"code": "unsupported_media_type", "message": UnsupportedMediaType.message}}
    for body in (None, ""):  # no body, or an empty one, sent without a Content-Type
        assert answer(list_members, {**event(), "body": body})[0] == 200


def test_no_body_is_the_empty_object_and_a_body_of_blanks_is_no_json():
    """A PATCH of nothing is a 200 that changes nothing; "   " is not a JSON document (it was taken as none)."""
    from loyalty.services import tenants

    tenant_id = "edge-" + secrets.token_hex(4)
    tenants.create_tenant(tenant_id, "Edge")
    patch = {**event(), "resource": "/program", "path": "/program", "httpMethod": "PATCH"}
    patch["requestContext"] = {"authorizer": {"tenantId": tenant_id, "scopes": "admin", "keyId": "k"}}
    before = answer(update_program, {**patch, "body": "{}", "headers": {"Content-Type": "application/json"}})
    assert answer(update_program, {**patch, "body": None}) == before and before[0] == 200
    for blanks in ("   ", "\n", "\t \r\n"):
        proxy_event = {**patch, "body": blanks, "headers": {"Content-Type": "application/json"}}
        status, document = answer(update_program, proxy_event)
        assert (status, document["error"]["code"]) == (400, "validation_error"), document
        assert document["error"]["message"] == "The request body is not valid JSON."
