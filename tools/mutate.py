"""`make mutate`: mutmut over the money code, one module at a time, then the score per module.

mutmut names a mutant by its file's path (only a leading `src.` is dropped), but the layer's code lives
in layers/loyalty/python/ and the tests import it as `loyalty.…`; mutmut's trampoline only switches a
mutant on when the two names agree. `python -m tools.mutate mutmut ARGS` runs mutmut's own command
line with that path prefix dropped as well; `python -m tools.mutate [MODULE…]` runs each module's
mutants (a glob on its name) in turn with at most MUTATE_CHILDREN processes (2) and prints the table.
The configuration (the files, the tests) is `[tool.mutmut]` in pyproject.toml; results stay in
mutants/ (git-ignored). MUTATE_LEFT=1 retries only the mutants a former run left alive or did not
reach (after adding tests: seconds per mutant instead of the whole module; after a stopped run: the rest).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LAYER_PREFIX = "layers.loyalty.python."
MODULES = {
    "loyalty.services.book": "layers/loyalty/python/loyalty/services/book.py",
    "loyalty.services.awards": "layers/loyalty/python/loyalty/services/awards.py",
    "loyalty.services.orders": "layers/loyalty/python/loyalty/services/orders.py",
    "loyalty.services.redemptions": "layers/loyalty/python/loyalty/services/redemptions.py",
    "loyalty.services.offer_redemptions": "layers/loyalty/python/loyalty/services/offer_redemptions.py",
    "loyalty.services.offer_limits": "layers/loyalty/python/loyalty/services/offer_limits.py",
    "loyalty.services.checker_offers": "layers/loyalty/python/loyalty/services/checker_offers.py",
    "loyalty.services.vouchers": "layers/loyalty/python/loyalty/services/vouchers.py",
    "loyalty.repository.pools": "layers/loyalty/python/loyalty/repository/pools.py",
}
KILLED = {1, 3}  # a test failed (3: pytest's internal error); mutmut's exit codes, mutmut/stats.py
TIMEOUT = {36, 24, -24, 152, 255}  # stopped after 6 x its tests' time: on a loaded machine, maybe a slow survivor
SURVIVED = 0


def run_mutmut(args: list[str]) -> None:
    """mutmut's command line, naming mutants by the module the tests import (loyalty.…), not the layer path."""
    import mutmut.__main__ as mutmut_main
    import mutmut.mutation.file_mutation as file_mutation
    from mutmut.utils import format_utils

    by_path = format_utils.get_mutant_name

    def get_mutant_name(relative_source_path: Path, mutant_method_name: str) -> str:
        name = by_path(relative_source_path, mutant_method_name)
        return name.removeprefix(LAYER_PREFIX)

    patched: tuple[Any, ...] = (format_utils, file_mutation, mutmut_main)  # modules, read and patched by name
    for module in patched:
        assert module.get_mutant_name is by_path, f"mutmut changed: {module.__name__} has no get_mutant_name"
        module.get_mutant_name = get_mutant_name
    mutmut_main.cli(args, prog_name="mutmut")


def scores(modules: list[str]) -> list[dict[str, Any]]:
    """Killed, timed out, survived, untested and total mutants per module, from mutmut's results in mutants/."""
    rows = []
    for module in modules:
        meta = Path("mutants") / (MODULES[module] + ".meta")
        codes = list(json.loads(meta.read_text())["exit_code_by_key"].values()) if meta.exists() else []
        row = {
            "module": module,
            "killed": sum(code in KILLED for code in codes),
            "timeout": sum(code in TIMEOUT for code in codes),
            "survived": sum(code == SURVIVED for code in codes),
            "total": len(codes),
        }
        row["other"] = row["total"] - row["killed"] - row["timeout"] - row["survived"]
        rows.append(row)
    return rows


def survivors(module: str) -> list[str]:
    meta = Path("mutants") / (MODULES[module] + ".meta")
    if not meta.exists():
        return []
    return sorted(name for name, code in json.loads(meta.read_text())["exit_code_by_key"].items() if code not in KILLED)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| module | killed / total | % | timeout | survived | no tests or not run |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        percent = f"{100 * row['killed'] / row['total']:.1f}" if row["total"] else "-"
        lines.append(
            f"| {row['module']} | {row['killed']} / {row['total']} | {percent} | {row['timeout']} "
            f"| {row['survived']} | {row['other']} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["mutmut"]:
        run_mutmut(argv[1:])
        return 0
    modules = argv or list(MODULES)
    unknown = [module for module in modules if module not in MODULES]
    if unknown:
        print(f"unknown modules {unknown}; choose from {list(MODULES)}", file=sys.stderr)
        return 2
    children = os.environ.get("MUTATE_CHILDREN", "2")
    left_only = os.environ.get("MUTATE_LEFT") == "1"
    if not left_only:
        # mutmut keeps which tests call which function from its first run and learns only of new test
        # names; forget it once per invocation (not per module: each stats run costs minutes), so that a
        # test changed since then is counted for the functions it calls now
        Path("mutants/mutmut-stats.json").unlink(missing_ok=True)
    for module in modules:
        if left_only:
            # only the mutants a former run did not kill (or did not reach), against the tests as they are now:
            # valid after adding tests, not after changing the code or an existing test (then run it all)
            names = survivors(module)
            if not names and (Path("mutants") / (MODULES[module] + ".meta")).exists():
                continue
        else:
            names = []
        started = time.monotonic()
        command = [sys.executable, "-m", "tools.mutate", "mutmut", "run", "--max-children", children]
        command += names or [f"{module}.*"]
        finished = subprocess.run(command, check=False)
        print(f"{module}: mutmut exited {finished.returncode} after {time.monotonic() - started:.0f} s", flush=True)
    rows = scores(modules)
    print(table(rows))
    for module in modules:
        left = survivors(module)
        if left:
            print(f"\n{module}: {len(left)} not killed (`.venv/bin/python -m tools.mutate mutmut show NAME`)")
            print("\n".join(f"  {name}" for name in left))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
