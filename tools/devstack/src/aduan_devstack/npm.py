"""Browser libraries from the npm registry, pinned and integrity-checked, into the cache.

The public page serves Chart.js itself (no third-party request at run time); `aduan-dev setup`
puts the package's tarball contents under `~/.cache/aduan/npm/<name>-<version>/package/`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from aduan_devstack.paths import cache_dir, file_lock
from aduan_devstack.process import InfraError, log

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class NpmPackage:
    """One pinned package: its name, version and the registry's `dist.integrity` (SRI)."""

    name: str
    version: str
    integrity: str
    #: a file that must exist in the package once extracted (checks the extraction)
    entry: str = "package.json"

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"

    @property
    def dirname(self) -> str:
        return f"{self.name.replace('/', '+')}-{self.version}"


#: Chart.js for the public dashboard (services/analytics page.py serves dist/chart.umd.js).
CHARTJS = NpmPackage(
    name="chart.js",
    version="4.4.7",
    integrity="sha512-pwkcKfdzTMAU/+jNosKhNL2bHtJc/sSmYgVbuGTEDhzkrhmyihmP7vUc/5ZK9WopidMDHNe3Wm7jOd/WhuHWuw==",
    entry="dist/chart.umd.js",
)

Fetch = Callable[[str], bytes]


def http_fetch(url: str) -> bytes:
    """The bytes at `url`; InfraError saying so when the registry cannot be reached."""
    try:
        response = httpx.get(url, timeout=60, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise InfraError(
            f"cannot download {url} ({type(exc).__name__}: {exc}): the npm registry is not "
            "reachable from here (offline?). Run `aduan-dev setup` again with network access, "
            "or place the package's tarball contents under ~/.cache/aduan/npm/"
        ) from exc
    if response.status_code != 200:
        raise InfraError(f"cannot download {url}: HTTP {response.status_code}")
    return response.content


def sri_digest(data: bytes) -> str:
    """The Subresource Integrity string npm records for a tarball (`sha512-<base64>`)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def verify_integrity(data: bytes, pkg: NpmPackage) -> None:
    """Raises InfraError unless `data` has the pinned sha512 integrity."""
    algorithm = pkg.integrity.split("-", 1)[0]
    if algorithm != "sha512":
        raise InfraError(f"{pkg.name}: only sha512 integrity is accepted, not {algorithm}")
    got = sri_digest(data)
    if got != pkg.integrity:
        raise InfraError(
            f"{pkg.name}@{pkg.version}: tarball integrity mismatch (expected {pkg.integrity}, "
            f"got {got}); nothing was installed"
        )


def extract_package(data: bytes, target: Path) -> None:
    """Extract the tarball's `package/` tree into `target` (which must not exist yet).

    Only regular files and folders under `package/` are taken; links and paths leaving the
    folder are refused (`tarfile`'s data filter)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = []
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if not parts or parts[0] != "package":
                continue
            if not (member.isfile() or member.isdir()):
                raise InfraError(f"unexpected {member.name} (not a file) in the npm tarball")
            members.append(member)
        if not members:
            raise InfraError("the npm tarball has no package/ folder")
        tar.extractall(target, members=members, filter="data")


def package_dir(pkg: NpmPackage, cache: Path | None = None) -> Path:
    """`<cache>/npm/<name>-<version>`; its `package/` holds the package's files."""
    return (cache or cache_dir()) / "npm" / pkg.dirname


def ensure_npm_package(
    pkg: NpmPackage = CHARTJS, cache: Path | None = None, fetch: Fetch = http_fetch
) -> Path:
    """The extracted package folder (`.../package`); downloaded and verified once.

    Raises InfraError when the registry is unreachable or the tarball's integrity differs;
    a failed install leaves nothing behind."""
    home = package_dir(pkg, cache)
    installed = home / "package"
    if (installed / pkg.entry).is_file():
        return installed
    with file_lock(home.parent / f".{pkg.dirname}.lock"):
        if (installed / pkg.entry).is_file():
            return installed
        log(f"downloading {pkg.name}@{pkg.version} from the npm registry ...")
        data = fetch(pkg.tarball_url)
        verify_integrity(data, pkg)
        staging = Path(tempfile.mkdtemp(prefix=f".{pkg.dirname}-", dir=home.parent))
        try:
            extract_package(data, staging)
            if not (staging / "package" / pkg.entry).is_file():
                raise InfraError(f"{pkg.name}@{pkg.version}: the tarball has no {pkg.entry}")
            if home.exists():
                shutil.rmtree(home)  # an earlier, incomplete install
            staging.rename(home)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        log(f"{pkg.name}@{pkg.version} verified ({pkg.integrity[:19]}…) and extracted to {home}")
        return installed
