"""Program settings: name, currency, expiry and pending periods, tiers, the sale activity."""

from __future__ import annotations

from loyalty.schema import Array, Currency, DateTime, Id, Int, Object, Str

TIER = Object(
    "Tier",
    {
        "tierId": Id(required=True),
        "name": Str(required=True, min_len=1, max_len=100),
        "threshold": Int(required=True, minimum=0, maximum=10**12, description="Qualified lifetime points"),
    },
)

PROGRAM_UPDATE = Object(
    "ProgramUpdate",
    {
        "name": Str(min_len=1, max_len=200),
        "currency": Currency(),
        "pointsExpiryDays": Int(
            minimum=1, maximum=3650, nullable=True, description="Days until points expire; null = never"
        ),
        "pendingDays": Int(minimum=0, maximum=365, description="Days a delayed award stays pending"),
        "tiers": Array(TIER, max_items=20, description="Tiers by ascending threshold"),
        "saleActivityId": Id(nullable=True, description="The activity that orders earn through"),
    },
)

PROGRAM = PROGRAM_UPDATE.all_required("Program", updatedAt=DateTime())
