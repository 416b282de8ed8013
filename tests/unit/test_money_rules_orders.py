"""Exact amounts, codes and records of orders and returns, the points book, awards and reward redemptions (§4 to §7)."""

import pytest

pytestmark = pytest.mark.usefixtures("fresh_table")
