"""Our Standard Webhooks signatures, checked by the reference library (`standardwebhooks`) as a receiver would."""

import base64
import json
import os
import time
from datetime import UTC, datetime

import pytest
from loyalty.services import webhook_signing
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def _secret():
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


BODY = json.dumps({"id": "evt_01J0000000000000000000000", "type": "points.awarded", "data": {"points": 5}})


def test_the_reference_verifier_accepts_our_signature():
    secret = _secret()
    headers = webhook_signing.headers([secret], "evt_1", int(time.time()), BODY)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_both_secrets_sign_after_a_rotation_and_either_verifies():
    new, old = _secret(), _secret()
    headers = webhook_signing.headers([new, old], "evt_1", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_a_wrong_secret_a_tampered_body_and_an_old_timestamp_are_rejected():
    secret = _secret()
    now = int(time.time())
    headers = webhook_signing.headers([secret], "evt_1", now, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace('"points": 5', '"points": 500'), headers)
    stale = webhook_signing.headers([secret], "evt_1", now - 6 * 60, BODY)  # a signature made once, retried later
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)


def test_the_signature_is_the_specifications_hmac():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's example secret
    signature = webhook_signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert (
        Webhook(secret).sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, UTC), '{"test": 2432232314}'
        )
        == signature
    )
