"""Exact amounts, codes and records of offer redemptions, their limits and the checker's offer part (§8)."""

import pytest

pytestmark = pytest.mark.usefixtures("fresh_table")
