"""Exact codes and records of vouchers and their code pools (§9)."""

import pytest

pytestmark = pytest.mark.usefixtures("fresh_table")
