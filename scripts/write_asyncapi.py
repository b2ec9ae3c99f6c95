"""Write every service's AsyncAPI (and OpenAPI) document to docs/api/ (`make asyncapi`).

Building an app connects to nothing, so this runs without Kafka or MongoDB.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

from aduan_shared.service import asyncapi

SERVICES = ("intake", "geo-router", "disposition", "sla-monitor", "notifier", "analytics")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "docs/api")
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ADUAN_VAULT_PUBLIC_KEY", "unused-for-documents")
    for name in SERVICES:
        module = importlib.import_module(f"aduan_{name.replace('-', '_')}.app")
        app = module.create_app()
        parts = app.state.parts
        spec = asyncapi(parts.core.broker, name, parts.description).to_specification()
        (out / f"{name}.asyncapi.json").write_text(spec.to_json() + "\n")
        (out / f"{name}.openapi.json").write_text(json.dumps(app.openapi(), indent=2) + "\n")
        print(f"wrote {out}/{name}.asyncapi.json and {name}.openapi.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
