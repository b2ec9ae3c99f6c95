"""Bodies read the same way in every service: bounded, parsed, validated, or a clear 4xx."""

from typing import Any

import httpx
from aduan_shared.bodies import media_type, read_json, validated
from aduan_shared.errors import install_problem_handlers
from fastapi import FastAPI, Request
from pydantic import BaseModel


class Thing(BaseModel):
    name: str
    count: int


def app() -> FastAPI:
    api = FastAPI()
    install_problem_handlers(api)

    @api.post("/things")
    async def things(request: Request) -> dict[str, Any]:
        thing = validated(Thing, await read_json(request, 64, "a thing"))
        return {"media_type": media_type(request), **thing.model_dump()}

    return api


async def post(content: bytes, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/things", content=content, headers=headers)


async def test_a_valid_body_is_parsed_and_validated() -> None:
    r = await post(
        b'{"name": "x", "count": 2}', **{"Content-Type": "Application/JSON; charset=utf-8"}
    )
    assert r.json() == {"media_type": "application/json", "name": "x", "count": 2}


async def test_too_large_not_json_and_invalid_are_clear_4xx() -> None:
    big = await post(b'{"name": "' + b"x" * 100 + b'", "count": 1}')
    assert big.status_code == 413 and "at most 0 KB" not in big.json()["detail"]
    assert "a thing is at most" in big.json()["detail"]
    broken = await post(b"{not json")
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    wrong = await post(b'{"count": "many"}')
    assert wrong.status_code == 422
    assert "name" in wrong.json()["detail"] and "count" in wrong.json()["detail"]
    listed = await post(b"[]")
    assert listed.status_code == 422 and listed.json()["detail"].startswith("body")
