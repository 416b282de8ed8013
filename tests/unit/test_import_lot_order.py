"""A member's lots come soonest expiry first (services/imports.py): a later row whose lot would expire before one
given before it is rejected, and the reason says which lot in words (never the stored "never" date)."""

import pytest
from loyalty.services import imports, tenants

pytestmark = pytest.mark.usefixtures("fresh_table")


def _row(lot_id: str, expires: str | None) -> dict[str, str]:
    row = {"externalId": "order-1", "lotId": lot_id, "points": "10"}
    return {**row, "expiresAt": expires} if expires else row


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (None, "is earlier than a lot that never expires, given before it"),
        ("2093-12-31", "is earlier than the member's lot of 2093-12-31, given before it"),
    ],
)
def test_a_lot_out_of_order_is_rejected_in_words(first, reason):
    tenants.create_tenant("lots", "Lot order")
    rows = [(2, _row("L1", first)), (3, _row("L2", "2091-03-31"))]
    outcomes = imports.import_member_rows("lots", rows, import_id=imports.new_import_id())
    assert [outcome.status for outcome in outcomes] == ["created", "rejected"]
    assert outcomes[1].field == "expiresAt" and outcomes[1].reason is not None
    assert outcomes[1].reason.startswith(reason) and "9999" not in outcomes[1].reason
