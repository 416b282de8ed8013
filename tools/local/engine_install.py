"""Install AWS's DynamoDB Local from the npm registry: a pinned package, its checksum verified, only `emulator/` kept.

The npm package `amplify-dynamodb-simulator` (published by AWS Amplify) ships DynamoDB Local in its
`emulator/` folder (DynamoDBLocal.jar, DynamoDBLocal_lib/ with the sqlite4java native libraries).
`npm pack` fetches the tarball alone, without its Node dependencies; nothing is downloaded from anywhere else.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tools.local.paths import ENGINE_DIR, LAUNCHER_SOURCE

PACKAGE = "amplify-dynamodb-simulator"
VERSION = "2.9.30"  # carries DynamoDB Local 1.25.1
TARBALL_SHA256 = "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9"
EMULATOR_PREFIX = "package/emulator/"
STAMP = ENGINE_DIR / ".installed"


def installed() -> bool:
    return STAMP.is_file() and STAMP.read_text().strip() == f"{PACKAGE}@{VERSION} {TARBALL_SHA256}"


def _fetch(workdir: Path) -> Path:
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(workdir), "--silent"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("*.tgz")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        raise SystemExit(f"{tarball.name}: sha256 {digest} is not the pinned {TARBALL_SHA256}; nothing installed")
    return tarball


def _extract(tarball: Path, target: Path) -> None:
    """Only regular files under emulator/, with paths checked to stay inside the target."""
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not (member.isfile() and member.name.startswith(EMULATOR_PREFIX)):
                continue
            relative = Path(member.name[len(EMULATOR_PREFIX) :])
            if relative.is_absolute() or ".." in relative.parts:
                raise SystemExit(f"refusing the archive entry {member.name}")
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)


def compile_launcher(target: Path) -> bool:
    """Build the loopback launcher (LoopbackDynamoDBLocal.java) once; without javac the jar's own runner is used."""
    if shutil.which("javac") is None:
        return False
    classpath = f"{target / 'DynamoDBLocal.jar'}:{target / 'DynamoDBLocal_lib'}/*"
    subprocess.run(["javac", "-cp", classpath, "-d", str(target / "launcher"), str(LAUNCHER_SOURCE)], check=True)
    return True


def install() -> None:
    if installed():
        built = ENGINE_DIR / "launcher" / "LoopbackDynamoDBLocal.class"
        if not built.exists() or built.stat().st_mtime < LAUNCHER_SOURCE.stat().st_mtime:
            compile_launcher(ENGINE_DIR)
        STAMP.touch()
        return
    if shutil.which("npm") is None:
        print("npm not found: DynamoDB Local is not installed (make serve will use the embedded engine)")
        return
    staging = ENGINE_DIR.with_name(ENGINE_DIR.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tempfile.TemporaryDirectory() as workdir:
        _extract(_fetch(Path(workdir)), staging)
    loopback = compile_launcher(staging)
    shutil.rmtree(ENGINE_DIR, ignore_errors=True)
    staging.rename(ENGINE_DIR)
    STAMP.write_text(f"{PACKAGE}@{VERSION} {TARBALL_SHA256}\n")
    where = "on 127.0.0.1 only" if loopback else "on every interface (no javac to build the loopback launcher)"
    print(f"DynamoDB Local ({PACKAGE}@{VERSION}, sha256 verified) installed in {ENGINE_DIR}; it will listen {where}")


if __name__ == "__main__":
    try:
        install()
    except subprocess.CalledProcessError as error:
        sys.exit(f"installing DynamoDB Local failed: {error}")
