"""A MongoDB-wire-compatible SecantusDB server (Rust or Python build) as a local process."""

from __future__ import annotations

import os
from pathlib import Path

from aduan_devstack.process import ManagedProcess
from aduan_devstack.procfs import proc_cmdline
from aduan_devstack.secantus import KIND_PY, KIND_RS, resolve_server


class Mongo(ManagedProcess):
    """SecantusDB under `run_dir/mongo/` (one data directory per server kind).

    By default (like mongod with j:false) a write acknowledged less than ~0.3 s before a
    SIGKILL can be lost, and secantusd-rs does not honour `j: true`. `sync_on_commit=True`
    (or ADUAN_MONGO_SYNC_ON_COMMIT=1) fsyncs each commit: crash-safe, several times slower."""

    name = "mongo"

    def __init__(
        self,
        run_dir: Path,
        port: int = 27017,
        cache_size: str = "256M",
        sync_on_commit: bool | None = None,
    ) -> None:
        super().__init__(run_dir)
        self.port = port
        self.cache_size = cache_size
        if sync_on_commit is None:
            sync_on_commit = os.environ.get("ADUAN_MONGO_SYNC_ON_COMMIT", "") in ("1", "true")
        self.sync_on_commit = sync_on_commit
        self.config_file = self.dir / "secantusd.toml"
        self._kind: str | None = None
        self._binary: Path | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    @property
    def server_kind(self) -> str:
        """'secantusd-rs' or 'secantusd-py': the one running, else the one start() would use."""
        if self._kind is not None:
            return self._kind
        pid = self.pid
        if pid is not None:
            return KIND_RS if KIND_RS in proc_cmdline(pid) else KIND_PY
        return resolve_server(install=False)[0]

    def data_dir(self, kind: str | None = None) -> Path:
        """Storage of one server kind (the two builds need not share an on-disk format)."""
        suffix = "rs" if (kind or self.server_kind) == KIND_RS else "py"
        return self.dir / f"data-{suffix}"

    def _marker(self) -> str:
        return f"--storage-path {self.dir}/data-"

    def _ports(self) -> list[int]:
        return [self.port]

    def describe(self) -> dict[str, object]:
        return {
            "url": self.url,
            "server_kind": self.server_kind,
            "port": self.port,
            "sync_on_commit": self.sync_on_commit,
        }

    def _prepare(self) -> None:
        self._kind, self._binary = resolve_server(install=True)
        self.data_dir(self._kind).mkdir(parents=True, exist_ok=True)
        # An explicit (empty) config file turns off discovery of ~/.secantus/secantusd.toml.
        self.config_file.write_text("# aduan-dev: settings are passed as flags\n")

    def _command(self) -> list[str]:
        assert self._binary is not None and self._kind is not None
        return [
            str(self._binary),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--storage-path", str(self.data_dir(self._kind)),
            "--config", str(self.config_file),
            "--cache-size", self.cache_size,
            *(["--sync-on-commit"] if self.sync_on_commit else []),
        ]  # fmt: skip

    def _probe_ready(self) -> bool:
        from pymongo import MongoClient

        client: MongoClient[dict[str, object]] = MongoClient(
            self.url, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000, directConnection=True
        )
        try:
            return bool(client.admin.command("ping").get("ok"))
        finally:
            client.close()

    def start(self, timeout: float = 60) -> None:
        """Install/build the server if needed, start it, wait until a pymongo `ping` succeeds."""
        super().start(timeout)
