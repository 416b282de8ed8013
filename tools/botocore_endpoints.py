"""Write the layer's cut of botocore's endpoint table (loyalty/repository/botocore_data/endpoints.json).

    python -m tools.botocore_endpoints      # after a change of the pinned botocore, or of ENDPOINT_SERVICES

Every partition is kept whole except its `services`, cut to the ones the layer makes clients of
(`loyalty.repository.client.ENDPOINT_SERVICES`): what botocore's endpoint resolver reads for those services is
exactly what it reads from its own file, and a new session parses ~20 kB instead of 1.2 MB.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "layers" / "loyalty" / "python" / "loyalty" / "repository" / "botocore_data" / "endpoints.json"


def cut(services: frozenset[str]) -> str:
    """The installed botocore's endpoints.json with each partition's services cut to `services`, as written."""
    from botocore.loaders import Loader

    table: dict[str, Any] = Loader().load_data("endpoints")
    for partition in table["partitions"]:
        partition["services"] = {name: spec for name, spec in partition["services"].items() if name in services}
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main() -> None:
    from loyalty.repository.client import ENDPOINT_SERVICES

    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(cut(ENDPOINT_SERVICES), encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
