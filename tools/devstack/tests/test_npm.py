"""npm packages into the cache: integrity checked, extracted once, a clear error when offline.

Tarballs are built here (no network); the offline case talks to a closed local port."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from aduan_devstack.npm import (
    CHARTJS,
    NpmPackage,
    ensure_npm_package,
    http_fetch,
    package_dir,
    sri_digest,
)
from aduan_devstack.process import InfraError
from aduan_devstack.procfs import free_port

ENTRY = "dist/lib.umd.js"
SCRIPT = b"window.Lib = {version: '1.2.3'};\n"


def tarball(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return out.getvalue()


GOOD = tarball(
    {
        "package/package.json": b'{"name": "lib", "version": "1.2.3"}',
        f"package/{ENTRY}": SCRIPT,
        "other/ignored.txt": b"outside package/",
    }
)
LIB = NpmPackage(name="lib", version="1.2.3", integrity=sri_digest(GOOD), entry=ENTRY)


class Registry:
    """Serves tarballs from memory and counts the requests (stands for the npm registry)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.data


def test_chartjs_is_pinned_with_the_registrys_sha512() -> None:
    assert CHARTJS.version == "4.4.7"
    assert CHARTJS.tarball_url == "https://registry.npmjs.org/chart.js/-/chart.js-4.4.7.tgz"
    assert CHARTJS.integrity == (
        "sha512-pwkcKfdzTMAU/+jNosKhNL2bHtJc/sSmYgVbuGTEDhzkrhmyihmP7vUc/5ZK9WopidMDHNe3Wm7jOd/"
        "WhuHWuw=="
    )
    assert CHARTJS.entry == "dist/chart.umd.js"
    assert NpmPackage("@scope/x", "1.0.0", "sha512-x").tarball_url.endswith(
        "/@scope/x/-/x-1.0.0.tgz"
    )


def test_installs_verified_package_once(tmp_path: Path) -> None:
    registry = Registry(GOOD)
    installed = ensure_npm_package(LIB, cache=tmp_path, fetch=registry)
    assert installed == tmp_path / "npm" / "lib-1.2.3" / "package"
    assert (installed / ENTRY).read_bytes() == SCRIPT
    assert registry.urls == ["https://registry.npmjs.org/lib/-/lib-1.2.3.tgz"]
    assert not (tmp_path / "npm" / "lib-1.2.3" / "other").exists()
    # already present: no second download
    assert ensure_npm_package(LIB, cache=tmp_path, fetch=registry) == installed
    assert len(registry.urls) == 1
    leftovers = [p.name for p in (tmp_path / "npm").iterdir() if not p.name.endswith(".lock")]
    assert leftovers == ["lib-1.2.3"]


def test_integrity_mismatch_installs_nothing(tmp_path: Path) -> None:
    tampered = tarball({"package/package.json": b"{}", f"package/{ENTRY}": b"evil()"})
    with pytest.raises(InfraError, match="integrity mismatch"):
        ensure_npm_package(LIB, cache=tmp_path, fetch=Registry(tampered))
    assert not package_dir(LIB, tmp_path).exists()


def test_an_incomplete_install_is_replaced(tmp_path: Path) -> None:
    half = package_dir(LIB, tmp_path) / "package"
    half.mkdir(parents=True)
    (half / "package.json").write_text("{}")  # the entry file is missing
    installed = ensure_npm_package(LIB, cache=tmp_path, fetch=Registry(GOOD))
    assert (installed / ENTRY).read_bytes() == SCRIPT


def test_links_and_missing_entry_are_refused(tmp_path: Path) -> None:
    linked = tarball({f"package/{ENTRY}": SCRIPT}, links={"package/evil": "/etc/passwd"})
    pkg = NpmPackage("lib", "1.2.3", sri_digest(linked), ENTRY)
    with pytest.raises(InfraError, match="not a file"):
        ensure_npm_package(pkg, cache=tmp_path, fetch=Registry(linked))
    empty = tarball({"package/package.json": b"{}"})
    pkg = NpmPackage("lib", "1.2.3", sri_digest(empty), ENTRY)
    with pytest.raises(InfraError, match=f"no {ENTRY}"):
        ensure_npm_package(pkg, cache=tmp_path, fetch=Registry(empty))
    assert not package_dir(pkg, tmp_path).exists()


def test_offline_says_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/lib/-/lib-1.2.3.tgz"  # nothing listens there
    with pytest.raises(InfraError, match="not reachable from here"):
        http_fetch(url)
    with pytest.raises(InfraError, match="offline"):
        ensure_npm_package(LIB, cache=tmp_path, fetch=lambda _: http_fetch(url))
    assert not package_dir(LIB, tmp_path).exists()
