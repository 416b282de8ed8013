"""The ledger checker's pool part: the invariant of every code pool, and reward pools against their redemptions."""

from __future__ import annotations

from typing import Any

from loyalty.repository import ledger as ledger_db
from loyalty.repository import redemptions as redemptions_db
from loyalty.repository import rewards as rewards_db
from loyalty.repository import store


def pool_problems(stock: dict[str, int], in_pool: int, handed_out: int) -> list[tuple[str, dict[str, Any]]]:
    """A pool's stock against what its items say: `in_pool` codes waiting, `handed_out` codes issued from it."""
    problems: list[tuple[str, dict[str, Any]]] = []
    if stock["available"] != in_pool:
        facts = {"stored": stock["available"], "counted": in_pool}
        problems.append(("available differs from the codes in the pool", facts))
    if stock["issued"] != handed_out:
        facts = {"stored": stock["issued"], "counted": handed_out}
        problems.append(("issued differs from the codes handed out", facts))
    if stock["total"] != stock["available"] + stock["issued"]:
        problems.append(("issued + available differs from total", dict(stock)))
    return problems


def check_pools(tenant_id: str) -> list[dict[str, Any]]:
    """Every coupon pool: issued + available = total, and codes issued ↔ redemptions one to one."""
    problems: list[dict[str, Any]] = []
    rewards = rewards_db.catalog(tenant_id).all(limit=500)
    catalog = list(zip(rewards, rewards_db.stock_of(tenant_id, rewards), strict=True))
    sold = redemptions_db.of_program(tenant_id).all(limit=500)

    def report(reward_id: str, problem: str, **facts: Any) -> None:
        problems.append({"tenantId": tenant_id, "rewardId": reward_id, "problem": problem, **facts})

    # a reward grant (points 0, services.reward_grants) has no ledger transaction and names who granted it
    paid = [r for r in sold if r["points"] != 0]
    for redemption in (r for r in sold if r["points"] == 0):
        if redemption.get("transactionId") is not None or not redemption.get("grantedBy"):
            report(redemption["rewardId"], "a redemption of 0 points that is not a grant", **_named(redemption))
    for redemption in (r for r in sold if r.get("grantedBy") and r["points"] != 0):
        report(redemption["rewardId"], "a grant that moved points", **_named(redemption))
    entries = store.get_many([ledger_db.key(tenant_id, str(r["transactionId"])) for r in paid]) if paid else []
    for redemption, entry in zip(paid, entries, strict=True):
        if entry is None or entry["type"] != "redeem" or entry["points"] != redemption["points"]:
            report(
                redemption["rewardId"],
                "redemption without its redeem transaction",
                redemptionId=redemption["redemptionId"],
            )
    for reward, stock in ((r, s) for r, s in catalog if r["fulfillment"] == "coupon"):
        reward_id = reward["rewardId"]
        in_pool = set(rewards_db.code_pool(tenant_id, reward).entries())
        handed_out = {item["code"]: item for item in rewards_db.issued(tenant_id, reward)}
        given = {r["couponCode"]: r for r in sold if r["rewardId"] == reward_id and r["couponCode"]}
        for problem, facts in pool_problems(stock, len(in_pool), len(handed_out)):
            report(reward_id, problem, **facts)
        if in_pool & set(handed_out):
            report(reward_id, "codes both in the pool and handed out", codes=sorted(in_pool & set(handed_out)))
        for code, item in handed_out.items():
            if code not in given or given[code]["redemptionId"] != item["redemptionId"]:
                report(reward_id, "a code handed out without its redemption", code=code)
        for code in set(given) - set(handed_out):
            report(reward_id, "a redemption whose code is not recorded as handed out", code=code)
    return problems


def _named(redemption: Any) -> dict[str, Any]:
    return {"redemptionId": redemption["redemptionId"]}
