"""Member import rules for the ledger state machine (§14, issue 26): members imported with opening balances
(live lots, lots already past their date, a profile-only row), imported again (unchanged), imported with other
data (a conflict, nothing written), given a later lot, and an imported row naming an API member's email (a
conflict). The machine's checker runs after every step, so the ledger identity with `+ Σ imports` must hold; the
invariant here holds each imported member to what its rows said.

Imported live lots expire far beyond the machine's clock (its expiry job's totals are the ledger model's, which
knows nothing of imports), so the expiry of imported lots is proven in tests/integration/test_member_imports.py.
The mixin keeps its own state, made on first use. It runs in its own machine (ImportLedgerMachine, the ledger
machine with these rules), so the ledger machine's seeded draws and their floors stay as they are.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule
from loyalty.repository import members as members_db
from loyalty.repository import store
from loyalty.services import imports

from tests.support.machines import TENANT, MachineHost

PEOPLE = 3  # imported members' externalIds imp-0 .. imp-2: drawn again, so re-imports happen often
LIVE_DAYS = ("2091-03-31", "2092-06-30", "2093-12-31")  # beyond any clock the machine reaches
PAST_DAYS = ("2020-01-31", "2024-12-31")


class ImportRules(MachineHost):
    """Mixed into the ledger machine; its state (`_imports`) is made on the first rule that needs it."""

    def _imported(self) -> dict[str, dict[str, Any]]:
        state: dict[str, dict[str, Any]] | None = getattr(self, "_imports", None)
        if state is None:
            state = {}
            self._imports = state
            self._import_ids = itertools.count()
        return state

    def _run(self, rows: list[dict[str, Any]]) -> list[imports.RowOutcome]:
        import_id = f"imp-{next(self._import_ids)}"
        return imports.import_member_rows(TENANT, [(i + 2, row) for i, row in enumerate(rows)], import_id=import_id)

    @rule(
        person=st.integers(0, PEOPLE - 1),
        past=st.lists(st.integers(1, 300), max_size=2),
        live=st.lists(st.integers(1, 300), max_size=2),
        qualified=st.integers(0, 200),
        how=st.sampled_from(("first", "again", "again", "changed", "later", "api")),
    )
    def import_member(self, person: int, past: list[int], live: list[int], qualified: int, how: str) -> None:
        state = self._imported()
        if how == "api":
            self._import_held_by_api_member()
            return
        external_id = f"imp-{person}"
        known = state.get(external_id)
        if known is None:  # the member's rows: expired lots first, then live ones soonest first (or a profile)
            rows = [
                {"externalId": external_id, "lotId": f"p{i}", "points": p, "expiresAt": PAST_DAYS[i]}
                for i, p in enumerate(past)
            ] + [
                {"externalId": external_id, "lotId": f"l{i}", "points": p, "expiresAt": LIVE_DAYS[i]}
                for i, p in enumerate(live)
            ]
            rows = rows or [{"externalId": external_id}]
            rows[0] = {**rows[0], "firstName": "Imported", "qualifiedPoints": qualified}
            outcomes = self._run(rows)
            assert [o.status for o in outcomes] == ["created"] * len(rows), outcomes
            state[external_id] = {
                "rows": rows,
                "available": sum(live),
                "expired": sum(past),
                "qualified": qualified,
                "later": 0,
            }
            self.succeeded("import_created")
            return
        rows = known["rows"]
        if how in ("first", "again"):
            outcomes = self._run(rows)
            assert [o.status for o in outcomes] == ["unchanged"] * len(rows), outcomes
            self.succeeded("import_unchanged")
        elif how == "changed":
            changed = {**rows[-1], "lastName": "Other"}
            outcomes = self._run([changed])
            assert [(o.status, o.field) for o in outcomes] == [("conflict", "lotId")], outcomes
            self.succeeded("import_conflict")
        elif known["later"] < 2:  # a later lot: after the member's last
            known["later"] += 1
            lot = {"externalId": external_id, "lotId": f"later{known['later']}", "points": 7}
            lot["expiresAt"] = f"209{5 + known['later']}-01-01"
            outcomes = self._run([lot])
            assert [o.status for o in outcomes] == ["created"], outcomes
            known["rows"] = [*rows, lot]
            known["available"] += 7
            self.succeeded("import_later_lot")

    def _import_held_by_api_member(self) -> None:
        """A row whose first identifier is an API member's email: a conflict, nothing written."""
        member = store.get(members_db.key(TENANT, self.members[0]))
        if member is None or not member.get("email"):
            return
        outcomes = self._run([{"email": member["email"].upper(), "lotId": "x", "points": 5}])
        assert [(o.status, o.field) for o in outcomes] == [("conflict", "email")], outcomes
        self.succeeded("import_api_conflict")

    @invariant()
    def imported_members_hold_their_rows(self) -> None:
        state: dict[str, dict[str, Any]] = getattr(self, "_imports", None) or {}
        if not state:
            return
        ids = sorted(state)
        guards = store.get_many([members_db.guard(TENANT, "externalId", e) for e in ids])
        found = store.get_many([members_db.key(TENANT, g["memberId"]) for g in guards if g])
        assert len(found) == len(ids)
        for external_id, member in zip(ids, found, strict=True):
            assert member is not None
            wanted = state[external_id]
            balance = member["balance"]
            got = (balance["available"], balance["expired"], balance["qualified"], balance["lifetime"])
            total = wanted["available"] + wanted["expired"]
            assert got == (wanted["available"], wanted["expired"], wanted["qualified"], total), (external_id, got)
