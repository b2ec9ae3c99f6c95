"""Errors become RFC 9457 problem+json, never a stack trace."""

from aduan_shared.errors import StaleVersion, install_problem_handlers
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from pymongo.errors import AutoReconnect


def app() -> FastAPI:
    api = FastAPI()
    install_problem_handlers(api)

    class Body(BaseModel):
        n: int

    @api.get("/stale")
    async def stale() -> None:
        raise StaleVersion("case changed since version 3")

    @api.post("/body")
    async def body(b: Body) -> int:
        return b.n

    @api.get("/database-restarting")
    async def database_restarting() -> None:
        raise AutoReconnect("127.0.0.1:27017: connection pool paused")

    @api.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals")

    return api


def test_domain_error_is_problem_json() -> None:
    r = TestClient(app()).get("/stale")
    assert r.status_code == 412
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 412
    assert body["title"] == "Stale version"
    assert body["detail"] == "case changed since version 3"
    assert body["type"].endswith("/stale-version")


def test_validation_error_is_422_problem_naming_the_field() -> None:
    r = TestClient(app()).post("/body", json={"n": "many"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "n" in r.json()["detail"]


def test_unknown_route_is_404_problem() -> None:
    r = TestClient(app()).get("/nowhere")
    assert r.status_code == 404
    assert r.json()["status"] == 404


def test_crash_is_500_without_internals() -> None:
    r = TestClient(app(), raise_server_exceptions=False).get("/crash")
    assert r.status_code == 500
    assert "secret internals" not in r.text
    assert "Traceback" not in r.text


def test_database_out_of_reach_is_503_with_retry_after() -> None:
    """Seen while the database restarted under load: intake answered 500 to new reports."""
    r = TestClient(app(), raise_server_exceptions=False).get("/database-restarting")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"].isdigit()
    assert "database" in r.json()["detail"]
    assert "27017" not in r.text
