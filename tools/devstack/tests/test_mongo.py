"""Real SecantusDB (MongoDB wire protocol): write, stop, restart, the document survives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aduan_devstack.infra import Mongo
from aduan_devstack.procfs import pid_gone
from aduan_devstack.secantus import KIND_PY, KIND_RS, rs_binary
from pymongo import MongoClient


def _client(url: str) -> MongoClient[dict[str, Any]]:
    return MongoClient(url, uuidRepresentation="standard", serverSelectionTimeoutMS=10000)


@pytest.mark.parametrize("forced", ["", "py"], ids=["default", "python-server"])
def test_mongo_data_survives_restart(
    tmp_path: Path, ports: list[int], monkeypatch: pytest.MonkeyPatch, forced: str
) -> None:
    monkeypatch.setenv("ADUAN_MONGO_SERVER", forced)
    mongo = Mongo(tmp_path, port=ports[0])
    mongo.start(timeout=60)
    try:
        expected = KIND_PY if forced == "py" or rs_binary() is None else KIND_RS
        assert mongo.server_kind == expected
        assert mongo.url == f"mongodb://127.0.0.1:{ports[0]}"
        assert mongo.started_in_s is not None and (mongo.rss_mb() or 0) > 1
        with _client(mongo.url) as client:
            client.devstack.docs.insert_one({"_id": "a", "n": 1})
            assert client.devstack.docs.find_one({"_id": "a"}) == {"_id": "a", "n": 1}

        first_pid = mongo.pid
        mongo.stop()
        assert pid_gone(first_pid)
        assert not mongo.is_running()

        mongo.start(timeout=60)
        with _client(mongo.url) as client:
            assert client.devstack.docs.find_one({"_id": "a"}) == {"_id": "a", "n": 1}
    finally:
        pid = mongo.pid
        mongo.stop()
    assert pid_gone(pid)


def test_mongo_sync_on_commit_survives_kill(tmp_path: Path, ports: list[int]) -> None:
    mongo = Mongo(tmp_path, port=ports[0], sync_on_commit=True)
    mongo.start()
    try:
        with _client(mongo.url) as client:
            client.devstack.docs.insert_one({"_id": "k"})
        pid = mongo.pid
        mongo.kill()
        assert pid_gone(pid)
        mongo.start()  # right after the acknowledged write: only sync-on-commit keeps it
        with _client(mongo.url) as client:
            assert client.devstack.docs.count_documents({"_id": "k"}) == 1
    finally:
        mongo.stop()
