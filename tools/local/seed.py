"""Demo data for the embedded table: the `demo` tenant that `make serve` and `loyalty invoke` use."""

from __future__ import annotations

from tools.local.constants import DEMO_TENANT


def seed_demo() -> None:
    """Create the demo tenant with its default program (once)."""
    from loyalty.services import tenants

    if not tenants.tenant_exists(DEMO_TENANT):
        tenants.create_tenant(DEMO_TENANT, "Demo program")
