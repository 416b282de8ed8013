"""One synthesis of the whole app shared by every stack test (synthesis is the slow part)."""

import pytest

from tests.infra.synth import Synthesized


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory):
    return Synthesized(tmp_path_factory.mktemp("cdk"))
