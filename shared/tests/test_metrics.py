"""Service metrics: collector pauses are observed per generation."""

import gc

from aduan_shared.metrics import ServiceMetrics


def test_garbage_collector_pauses_are_observed_until_undone() -> None:
    metrics = ServiceMetrics("probe")
    sample = metrics.registry.get_sample_value
    undo = metrics.time_garbage_collections()
    gc.collect()
    count = sample("aduan_probe_gc_pause_seconds_count", {"generation": "2"})
    assert count is not None and count >= 1
    assert (sample("aduan_probe_gc_pause_seconds_sum", {"generation": "2"}) or 0) > 0
    undo()
    gc.collect()
    assert sample("aduan_probe_gc_pause_seconds_count", {"generation": "2"}) == count


async def test_requests_are_timed_by_route_template_and_counted_by_status() -> None:
    import httpx
    from aduan_shared.errors import NotFound, install_problem_handlers
    from fastapi import FastAPI

    metrics = ServiceMetrics("probe")
    app = FastAPI()
    install_problem_handlers(app)
    metrics.install(app)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise NotFound("no such thing")
        return {"id": thing_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/things/a")).status_code == 200
        assert (await client.get("/things/b")).status_code == 200
        assert (await client.get("/things/missing")).status_code == 404
    sample = metrics.registry.get_sample_value
    route = {"method": "GET", "route": "/things/{thing_id}"}
    assert sample("aduan_probe_http_requests_total", {**route, "status": "200"}) == 2
    assert sample("aduan_probe_http_requests_total", {**route, "status": "404"}) == 1
    assert sample("aduan_probe_http_request_duration_seconds_count", route) == 3
