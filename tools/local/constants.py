"""Names the local tooling shares: the demo tenant and the fake credentials no AWS account accepts."""

from __future__ import annotations

DEMO_TENANT = "demo"
REGION = "us-east-1"
# Set whenever the tooling talks to an embedded or local DynamoDB, so nothing can reach a real account.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
