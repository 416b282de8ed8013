"""Crafted input over the local API (issue 10, defects 7, 8, 10): a clear 400 (or 404), never a 5xx or a
dropped connection, and nothing stored."""

import http.client
import json
import socket
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from loyalty import clock
from loyalty.routes import PROTECTED, ROUTES

from tests.support.ledger import activity, balance, member
from tests.support.local import ok
from tests.support.vouchers import offer


def _bad_request(reply):
    assert reply.status == 400, reply.text
    assert reply.code == "validation_error", reply.text
    return reply


def test_a_non_ascii_or_malformed_next_token_is_a_400_on_every_list(tenant):
    m = member(tenant.integration, "t@example.com")
    hook = ok(201, tenant.admin.post("/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["*"]})).data["webhookId"]
    ids = {"{memberId}": m, "{offerId}": offer(tenant.admin), "{webhookId}": hook, "{challengeId}": "ch"}
    challenge = {"challengeId": "ch", "name": "Ch", "type": "text", "activityId": "visit"}  # issue 25
    activity(tenant.admin, "visit")
    ok(201, tenant.admin.post("/challenges", challenge))
    routes = [r for r in ROUTES if r.method == "GET" and r.function.startswith("list")]
    lists = [(r.path, tenant.read if "read" in r.scopes else tenant.admin) for r in routes]  # webhooks: admin
    for placeholder, value in ids.items():
        lists = [(path.replace(placeholder, value), reader) for path, reader in lists]
    assert not [path for path, _ in lists if "{" in path], "every list's path parameters are filled"
    assert len(lists) >= 6
    for path, reader in lists:
        for token in ("%C3%A9", "abc%C3%A9.def", "a.b.c", "%F0%9F%92%A9." + "A" * 24, "%00", "." * 3):
            _bad_request(reader.get(f"{path}?nextToken={token}"))


def test_deeply_nested_bodies_are_a_400(tenant):
    for depth in (40, 1000, 10000):
        for opening, closing in (("[", "]"), ('{"a":', "}")):
            raw = ('{"email":' + opening * depth + "1" + closing * depth + "}").encode()
            reply = tenant.integration.call("POST", "/members", raw=raw)
            _bad_request(reply)
    assert tenant.read.get("/members").data == []


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"email": "\ud800@example.com"}',
        rb'{"email": "a@example.com", "firstName": "\udfff"}',
        rb'{"email": "a@example.com", "\ud800": 1}',
        rb'{"\udc00\ud800": {"\ud800": "\ud800"}}',
        rb'{"email": "a@example.com", "firstName": "ok\ud83d"}',
    ],
)
def test_lone_surrogates_in_values_and_field_names_are_a_400_with_an_answer(tenant, raw):
    reply = _bad_request(tenant.integration.call("POST", "/members", raw=raw))
    echoed = [c for c in json.dumps(reply.json, ensure_ascii=False) if 0xD800 <= ord(c) <= 0xDFFF]
    assert echoed == [], reply.text  # the answer is valid Unicode once parsed: nothing of the input echoed
    assert tenant.read.get("/members").data == []


def test_surrogates_on_every_route_that_takes_a_body(tenant):
    m = member(tenant.integration, "s@example.com")
    for route in PROTECTED:  # the public token route answers RFC 6749 errors (tests/integration/test_oauth.py)
        if route.method not in ("POST", "PATCH"):
            continue
        path = route.path
        for name in ("memberId", "transactionId", "activityId", "orderId", "rewardId", "redemptionId"):
            path = path.replace("{" + name + "}", m if name == "memberId" else "x")
        for raw in (rb'{"\ud800": 1}', rb'{"reason": "\ud800", "codes": ["\udbff"]}'):
            reply = tenant.admin.call(route.method, path, raw=raw)
            assert (reply.status, reply.code) in {(400, "validation_error"), (404, "not_found")}, (
                route.path,
                reply.text,
            )


def test_money_takes_only_ascii_digits(tenant):
    activity(tenant.admin, "sale", type="multiplier", multiplier=1, isSaleActivity=True)
    ok(200, tenant.admin.patch("/program", {"saleActivityId": "sale"}))
    m = member(tenant.integration, "money@example.com")
    for total in (  # fullwidth, Arabic-Indic, Persian, mathematical digits; ASCII in odd shapes
        "\uff11\uff12.\uff15\uff10",
        "\u0661\u0662.\u0665\u0660",
        "\u06f1\u06f2",
        "12.5\u0660",
        "\U0001d7d9\U0001d7da",
        "12.50\n",
        " 12.50",
        "1e3",
        "+1",
        "0x10",
        "12,50",
    ):
        reply = _bad_request(tenant.integration.post("/orders", {"orderId": "o-1", "memberId": m, "total": total}))
        assert reply.json["error"]["details"][0]["field"] == "total"
    assert tenant.read.get("/orders/o-1").status == 404
    assert balance(tenant.read, m)["available"] == 0
    for limit in ("\uff11\uff10", "\u0663", "1\n"):
        _bad_request(tenant.read.get(f"/members?limit={quote(limit)}"))


def test_dates_and_times_take_exactly_the_contract_formats(tenant):
    m = member(tenant.integration, "dates@example.com")
    for day in (  # week date, ordinal date, basic format, a time, fullwidth digits, no zero padding
        "2019-W01-1",
        "2019-001",
        "20190505",
        "2019-05-05T00:00:00Z",
        "\uff12\uff10\uff11\uff19-\uff10\uff15-\uff10\uff15",
        "2019-5-5",
    ):
        _bad_request(tenant.integration.patch(f"/members/{m}", {"birthdate": day}))
    assert tenant.read.get(f"/members/{m}").data["birthdate"] is None
    assert tenant.integration.patch(f"/members/{m}", {"birthdate": "2019-05-05"}).data["birthdate"] == "2019-05-05"
    activity(tenant.admin, "sale", type="multiplier", multiplier=1, isSaleActivity=True)
    ok(200, tenant.admin.patch("/program", {"saleActivityId": "sale"}))
    for moment in (
        "1970-01-01T00:30:00+01:00",  # 1969 in UTC: below the floor once normalised
        "9998-12-31T23:30:00-01:00",  # 9999 in UTC
        "9999-12-31T23:59:59-23:59",  # would overflow datetime when normalised
        "2019-05-05",
        "2019-05-05 11:20:49Z",
        "2019-05-05T11:20",  # no seconds (a time without an offset is UTC: test_order_rules.py)
        "2019-W01-1T11:20:49Z",
        "\uff12\uff10\uff11\uff19-05-05T11:20:49Z",
        "2019-05-05T11:20:49.1234567Z",
    ):
        order = {"orderId": "o-1", "memberId": m, "total": "1.00", "orderedAt": moment}
        reply = _bad_request(tenant.integration.post("/orders", order))
        assert reply.json["error"]["details"][0]["field"] == "orderedAt", moment
        _bad_request(tenant.read.get(f"/transactions?from={quote(moment)}"))
    fine = {"orderId": "o-2", "memberId": m, "total": "1.00", "orderedAt": "1970-01-01T01:30:00.5+01:00"}
    assert tenant.integration.post("/orders", fine).data["orderedAt"] == "1970-01-01T00:30:00Z"


def test_control_characters_are_refused_in_text_fields(tenant):
    for body in (
        {"email": "nul\x00@example.com"},
        {"email": "a@example.com", "firstName": "Ada\x00"},
        {"email": "a@example.com", "lastName": "\x1b[31mred"},
        {"email": "a@example.com", "gender": "x\x7f"},
        {"email": "a@example.com", "firstName": "C1\x85"},
        {"email": "a@example.com", "firstName": "line\nbreak"},
        {"email": "a@example.com", "externalId": "id\n"},
    ):
        _bad_request(tenant.integration.post("/members", body))
    assert tenant.read.get("/members").data == []
    _bad_request(tenant.admin.post("/activities", {"activityId": "a\n", "name": "A"}))
    _bad_request(tenant.admin.post("/activities", {"activityId": "a", "name": "A\tB"}))
    described = tenant.admin.post("/activities", {"activityId": "a", "name": "A", "description": "two\nlines\tok"})
    assert described.status == 201, described.text  # a long text may break lines, never hold other controls
    _bad_request(tenant.admin.patch("/activities/a", {"description": "bell\x07"}))


def test_duplicate_json_keys_are_refused_not_last_one_wins(tenant):
    activity(tenant.admin, "visit", points=1000)
    m = member(tenant.integration, "dup@example.com")
    ok(201, tenant.integration.post(f"/members/{m}/awards", {"activityId": "visit"}))
    raw = b'{"points": 1, "points": 900, "reason": "x"}'
    reply = _bad_request(tenant.integration.call("POST", f"/members/{m}/deductions", raw=raw))
    assert reply.json["error"]["details"] == [{"field": "points", "message": "is given more than once"}]
    nested = b'{"tiers": [{"tierId": "a", "name": "A", "threshold": 0, "threshold": 5}]}'
    _bad_request(tenant.admin.call("PATCH", "/program", raw=nested))
    assert balance(tenant.read, m)["available"] == 1000


def test_an_encoded_slash_stays_inside_its_path_parameter(tenant):
    m = member(tenant.integration, "slash@example.com")
    assert tenant.read.get(f"/members/{m}/summary").status == 200
    for path in (f"/members/{m}%2Fsummary", f"/members/{m}%2fsummary", f"/members/{m}%2F", f"/members/%2E%2E%2F{m}"):
        reply = tenant.read.get(path)
        assert reply.status == 404 and reply.code == "not_found", (path, reply.text)
    assert tenant.read.get(f"/members/{m}%0A").status == 404  # a trailing newline is not an id


def test_the_local_server_answers_a_malformed_request_line_and_length(local_api):
    for length in ("-1", "abc", "1e3"):
        connection = http.client.HTTPConnection("127.0.0.1", local_api.port, timeout=10)
        connection.putrequest("POST", "/Production/members")
        connection.putheader("Content-Length", length)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400
        assert json.loads(response.read())["error"]["code"] == "validation_error", length
        connection.close()


def _exchange(port, request):
    """Send raw bytes on one connection and read until the server closes it: every answer it gave."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def _only_answer(received, status, code):
    """Exactly one answer (nothing left unread was taken for a second request), in the envelope."""
    assert received.count(b"HTTP/1.1 ") == 1, received[:600]
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), received[:600]
    assert json.loads(body)["error"]["code"] == code, body[:600]


NEXT = b"GET /Production/status HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("length", ["99999999999999999999", str(64 * 1024 + 1)])
def test_a_body_over_64_kib_is_a_413_unread_and_the_connection_closed(local_api, length):
    request = f"POST /Production/members HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
    _only_answer(_exchange(local_api.port, request + NEXT), 413, "payload_too_large")


def test_content_lengths_that_disagree_are_a_400_and_the_connection_closed(local_api):
    request = b"POST /Production/members HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n"
    _only_answer(_exchange(local_api.port, request + NEXT), 400, "validation_error")


def _chunked(body, size=1000):
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_a_chunked_body_is_decoded_and_bounded_by_64_kib(tenant, local_api):
    body = json.dumps({"email": "chunked@example.com"}).encode()
    head = (
        "POST /Production/members HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {tenant.integration.key}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    received = _exchange(local_api.port, head + _chunked(body, 7))
    assert received.startswith(b"HTTP/1.1 201 ") and received.count(b"HTTP/1.1 ") == 1, received[:600]
    assert json.loads(received.partition(b"\r\n\r\n")[2])["data"]["email"] == "chunked@example.com"
    too_long = json.dumps({"email": "x@example.com", "lastName": "x" * 64 * 1024}).encode()
    _only_answer(_exchange(local_api.port, head + _chunked(too_long) + NEXT), 413, "payload_too_large")
    _only_answer(_exchange(local_api.port, head + b"zz\r\n" + NEXT), 400, "validation_error")


def test_head_answers_without_a_body(local_api):
    closing = NEXT.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    received = _exchange(local_api.port, NEXT.replace(b"GET", b"HEAD") + closing)
    head, _, rest = received.partition(b"\r\n\r\n")
    assert b"Content-Length: " in head and rest.startswith(b"HTTP/1.1 401 "), received  # no body between


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /Production/" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /Production/status HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /Production/status HTTP/2.0\r\n\r\n", 400),
    ],
)
def test_what_http_server_refuses_itself_is_answered_in_the_envelope(local_api, request_bytes, status):
    received = _exchange(local_api.port, request_bytes)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()) and b"Content-Type: application/json" in head, received
    error = json.loads(body)["error"]
    assert error["code"] and error["message"][:1].isupper() and error["message"].endswith((".", ")")), error
    if status in (414, 431):  # a sentence for a client, not http.server's "Line too long"
        assert "too long" in error["message"] or "too large" in error["message"], error


def test_a_birthdate_in_the_future_is_refused(tenant):
    m = member(tenant.integration, "born@example.com")
    today = clock.now().date()
    for day in (today + timedelta(days=2), today + timedelta(days=400), date(9998, 1, 1)):
        _bad_request(tenant.integration.patch(f"/members/{m}", {"birthdate": day.isoformat()}))
        _bad_request(tenant.integration.post("/members", {"email": "future@example.com", "birthdate": day.isoformat()}))
    assert tenant.read.get(f"/members/{m}").data["birthdate"] is None
    for day in (today + timedelta(days=1), today, date(1900, 1, 1)):  # UTC+14 is a day ahead of UTC
        assert tenant.integration.patch(f"/members/{m}", {"birthdate": day.isoformat()}).data["birthdate"] == str(day)
