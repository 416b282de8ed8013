"""The npm packages are installed exactly as package-lock.json pins them, and the lockfile matches package.json."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_lockfile_pins_what_package_json_asks_for():
    wanted = json.loads((ROOT / "package.json").read_text())
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for section in ("dependencies", "devDependencies"):
        assert locked[""].get(section, {}) == wanted.get(section, {}), f"package-lock.json is stale ({section})"
        for name, version in wanted.get(section, {}).items():
            if re.fullmatch(r"\d+\.\d+\.\d+", version):  # an exact pin resolves to exactly that version
                assert locked[f"node_modules/{name}"]["version"] == version, name


def test_make_installs_npm_packages_from_the_lockfile_without_rewriting_it():
    makefile = (ROOT / "Makefile").read_text()
    npm = [line.strip() for line in makefile.splitlines() if line.strip().startswith("npm ")]
    assert npm and all(line.startswith("npm ci ") for line in npm), npm
    stamp = re.search(r"^NODE := (\S+)$", makefile, flags=re.M)
    assert stamp and stamp[1] == "node_modules/.installed", "the npm stamp is named NODE"
    assert re.search(r"^\$\(NODE\): .*package-lock\.json", makefile, flags=re.M)
