"""A stand-in for API Gateway (REST, stage Production): authorizer, policy check, proxy event, handler."""

from __future__ import annotations

import base64
import importlib
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from loyalty.routes import AUTHORIZER_FUNCTION, STAGE, Route, find

from infra.gateway_responses import body as gateway_body
from infra.gateway_responses import retry_after

REGION = "us-east-1"
ACCOUNT = "000000000000"
API_ID = "local"
MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's own limit; the 64 KiB rule is the handlers'


@dataclass
class LambdaContext:
    """The parts of a Lambda context object that handlers and Powertools read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 256
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class InFlight:
    """Operation handlers running right now and the peak since `arm`: how tests see that requests overlapped.

    One lock per request, no HTTP route: the test process reads it in-process. While armed with
    `parties`, the first handlers wait (at most `patience` seconds) until `parties` of them are
    running at once, so a burst is known to overlap; a server that serves one request at a time
    never gets there, and its peak stays 1.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.running = self.peak = self.finished = 0
        self._parties = 0
        self._patience = 0.0

    def arm(self, parties: int, patience: float) -> None:
        """Reset the peak and the count of finished handlers; hold the next handlers until `parties` run."""
        with self._lock:
            self.peak, self.finished = self.running, 0
            self._parties, self._patience = parties, patience

    def disarm(self) -> int:
        """Let any held handler go; the peak since `arm`."""
        with self._lock:
            self._parties = 0
            self._lock.notify_all()
            return self.peak

    def wait_finished(self, count: int, patience: float) -> bool:
        """Wait until `count` handlers have finished since `arm` (for a test that holds one run open)."""
        with self._lock:
            return self._lock.wait_for(lambda: self.finished >= count, patience)

    def __enter__(self) -> None:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            if not self._parties:
                return
            if self.running >= self._parties or not self._lock.wait_for(lambda: not self._parties, self._patience):
                self._parties = 0  # all here (or they never came: let everyone through, the peak tells)
                self._lock.notify_all()

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.running -= 1
            self.finished += 1
            self._lock.notify_all()


def load_handler(function: str) -> Any:
    return importlib.import_module(f"functions.{function}.app").handler


def _gateway(response_type: str, status: int | None = None) -> Answer:
    from infra.gateway_responses import GATEWAY_RESPONSES

    code = status or GATEWAY_RESPONSES[response_type][0] or 500
    headers = {"Content-Type": "application/json", **retry_after(response_type)}
    return Answer(code, headers, gateway_body(response_type))


def _allows(policy: dict[str, Any], method_arn: str) -> bool:
    """IAM evaluation as API Gateway does it for an authorizer policy: an explicit Deny wins."""
    allowed = False
    for statement in policy.get("Statement", []):
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        pattern_hit = any(re.fullmatch(re.escape(r).replace(r"\*", ".*"), method_arn, re.DOTALL) for r in resources)
        if pattern_hit and statement.get("Effect") == "Deny":
            return False
        allowed = allowed or (pattern_hit and statement.get("Effect") == "Allow")
    return allowed


def build_event(
    route: Route,
    params: dict[str, str],
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: str | None,
    authorizer_context: dict[str, Any],
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway sends for this request."""
    multi = parse_qs(query, keep_blank_values=True)
    now = time.time()
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": method,
            "extendedRequestId": uuid.uuid4().hex,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            "domainName": "localhost",
            "apiId": API_ID,
            "authorizer": authorizer_context,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _forget_unpublished_metrics() -> None:
    """With metrics disabled (locally), Powertools' flush keeps each request's metrics instead of clearing them:
    one process serving many requests would print a 100-value EMF blob, then an empty-metrics warning, every
    100 requests. Locally they are dropped after each request; on Lambda the flush publishes and clears them."""
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled
    from loyalty.observability import metrics

    if is_metrics_disabled():
        metrics.clear_metrics()


class Gateway:
    """Serves requests exactly as the deployed API would, from the route table."""

    def __init__(self) -> None:
        self._authorizer = load_handler(AUTHORIZER_FUNCTION)
        self.in_flight = InFlight()

    def _authorize(self, method: str, path: str, headers: dict[str, str]) -> tuple[Answer | None, dict[str, Any]]:
        """The authorizer's decision, called for every request (no cache here: a revoked key or client is refused
        at once locally; deployed, within AUTHORIZER_CACHE_SECONDS): a refusal, or the context it gives."""
        token = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if not token:
            return _gateway("UNAUTHORIZED"), {}
        method_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}{path}"
        try:
            decision = self._authorizer(
                {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn},
                LambdaContext(AUTHORIZER_FUNCTION, str(uuid.uuid4())),
            )
        except Exception as exc:
            return _gateway("UNAUTHORIZED" if str(exc) == "Unauthorized" else "AUTHORIZER_FAILURE"), {}
        if not _allows(decision["policyDocument"], method_arn):
            return _gateway("ACCESS_DENIED"), {}
        return None, {**decision.get("context", {}), "principalId": decision["principalId"]}

    def handle(self, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        prefix = f"/{STAGE}"
        if not (raw_path == prefix or raw_path.startswith(prefix + "/")):
            return _gateway("MISSING_AUTHENTICATION_TOKEN")
        # API Gateway matches routes on the raw path and decodes each parameter afterwards, so an
        # encoded slash (%2F) stays inside its parameter instead of reaching another route.
        raw = raw_path[len(prefix) :] or "/"
        route, raw_params, _ = find(method, raw)
        if route is None:
            return _gateway("MISSING_AUTHENTICATION_TOKEN")
        params = {name: unquote(value) for name, value in raw_params.items()}
        path = unquote(raw)
        if len(body) > MAX_PAYLOAD:
            return _gateway("REQUEST_TOO_LARGE")
        if route.public:  # POST /oauth/token: no authorizer, as deployed (authorization type NONE)
            context: dict[str, Any] = {}
        else:
            denied, context = self._authorize(method, path, headers)
            if denied is not None:
                return denied
        encoded = False
        try:
            text = body.decode("utf-8") if body else None
        except UnicodeDecodeError:
            if not route.public:
                return _gateway("BAD_REQUEST_BODY")
            # the token route answers every body itself (RFC 6749 errors): the bytes as they came, base64
            text, encoded = base64.b64encode(body).decode("ascii"), True
        event = build_event(route, params, method, path, query, headers, text, context)
        event["isBase64Encoded"] = encoded
        handler = load_handler(route.function)
        try:
            with self.in_flight:
                result = handler(event, LambdaContext(route.function, str(uuid.uuid4())))
        except Exception:  # the function itself crashed (the edge answers every error it catches)
            return _gateway("INTEGRATION_FAILURE")
        finally:
            _forget_unpublished_metrics()
        return Answer(result["statusCode"], result.get("headers") or {}, result.get("body") or "")
