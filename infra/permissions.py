"""Which DynamoDB actions each function's code uses, derived once from the route table.

The repository reads with GetItem, BatchGetItem and Query and writes only through
TransactWriteItems, whose items need PutItem, UpdateItem, DeleteItem or ConditionCheckItem.
tests/integration/test_permissions.py runs every function and checks it calls nothing outside its set;
tests/infra/test_stack.py holds the template to what they were seen to call.
"""

from __future__ import annotations

import importlib

from loyalty.routes import Route

READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
# The authorizer looks up the key's hash (or, for an access token, its client and signing key), then the tenant's
# usage-plan key: GetItems only.
AUTHORIZER = ("dynamodb:GetItem",)
# The jobs settle lots and delayed awards through the points book: no write of theirs carries a
# ConditionCheck (only voucher issue, offer redemption and code upload do), so they are not granted one.
JOB = (*READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# The event builder (functions/build_events) reads the program, offers and members, and writes only event items:
# a new one (Put on condition it is absent) or a redacted one (Update).
STREAM = (*READ, "dynamodb:PutItem", "dynamodb:UpdateItem")
# The webhook delivery consumer (functions/deliver_webhooks) reads a delivery, its endpoint and its event by key,
# takes and gives back an endpoint's slot lease (Put, Delete), records the attempt (Update) and the endpoint's health
# (a versioned Put): no Query, no BatchGetItem.
# It, the event builder (the fan-out queues first attempts) and the retry route also need sqs:SendMessage on the
# WebhookDeliveries queue and WEBHOOK_QUEUE_URL (services/webhook_delivery.py, repository/delivery_queue.py).
DELIVERY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")

# The token route (POST /oauth/token, the public route) reads a client and a signing key by key, and creates the
# signing key once (a conditional put in a one-item transaction: services/oauth.py, repository/clients.py).
OAUTH = ("dynamodb:GetItem", "dynamodb:PutItem")

# The bulk import workflow (§14, infra/constructs/imports.py; tests/integration/test_import_jobs.py records what each
# step calls). The splitter reads the import and moves its status (a one-item transaction: Update); the chunk worker
# runs the row-processing path (a write route's set: it reads members, guards and markers, writes rows in
# transactions with condition checks) and counts its chunk (Put of the marker, Update of the job); the finish step
# reads the job, sets its status (Update) and stores the completion and its event (Put).
SPLIT_IMPORT = ("dynamodb:GetItem", "dynamodb:UpdateItem")
IMPORT_CHUNK = READ + WRITE
FINISH_IMPORT = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")

# Functions that answer without touching the table.
NO_TABLE = frozenset({"get_status"})


def route_actions(route: Route) -> tuple[str, ...]:
    """A GET reads; every other method may also write; a function that never touches the table, nothing."""
    if route.function in NO_TABLE:
        return ()
    if route.public:
        return OAUTH
    return READ + WRITE if route.writes else READ


def pages(route: Route) -> bool:
    """Whether the route's handler answers pages (a signed nextToken): only those may read the cursor secret."""
    return bool(importlib.import_module(route.module).handler.api.paged)
