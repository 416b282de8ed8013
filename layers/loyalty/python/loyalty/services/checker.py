"""The ledger checker: runs every part (`checker_<area>.py`) over each tenant and reports what disagrees."""

from __future__ import annotations

from typing import Any

from loyalty.services import (
    checker_challenges,
    checker_members,
    checker_offers,
    checker_pools,
    checker_promos,
    checker_referrals,
    checker_rewards,
    checker_segments,
    checker_tiers,
    checker_vouchers,
    checker_webhooks,
    tenants,
)


def check_tenant(tenant_id: str) -> list[dict[str, Any]]:
    """Every part's problems for one tenant (the member and voucher parts also hand on what the offer part counts)."""
    member_problems, member_ids = checker_members.check_members(tenant_id)
    voucher_problems, voucher_uses = checker_vouchers.check_vouchers(tenant_id, member_ids)
    return (
        member_problems
        + checker_pools.check_pools(tenant_id)
        + checker_tiers.check_tier_uses(tenant_id)
        + checker_offers.check_offers(tenant_id, member_ids, voucher_uses)
        + voucher_problems
        + checker_referrals.check_referrals(tenant_id, member_ids)
        + checker_rewards.check_reward_counts(tenant_id, member_ids)
        + checker_webhooks.check_webhooks(tenant_id)
        + checker_segments.check_segments(tenant_id)
        + checker_challenges.check_challenges(tenant_id, member_ids)
        + checker_promos.check_promos(tenant_id, member_ids)
    )


def check(tenant_ids: list[str] | None = None) -> dict[str, Any]:
    """Check every member of the given tenants (default: all); `problems` is empty when the ledger is right."""
    checked = tenant_ids or tenants.list_tenants()
    problems = [problem for tenant_id in checked for problem in check_tenant(tenant_id)]
    return {"tenants": len(checked), "problems": problems}
