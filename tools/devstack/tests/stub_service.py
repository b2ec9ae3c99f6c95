"""A stand-in Aduan service for `aduan-dev run` tests: /readyz, /healthz, /metrics, /docs."""

import http.server
import json
import os
import sys

PREFIXES = {
    "aduan_intake": "INTAKE_",
    "aduan_geo_router": "GEO_ROUTER_",
    "aduan_disposition": "DISPOSITION_",
    "aduan_sla_monitor": "SLA_MONITOR_",
    "aduan_notifier": "NOTIFIER_",
    "aduan_analytics": "ANALYTICS_",
}
SEEN = ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "ADUAN_CITY_DIR", "STUB_SHELL", "STUB_DEV")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        known = self.path in ("/readyz", "/healthz", "/metrics", "/docs")
        self.send_response(200 if known else 404)
        self.end_headers()
        self.wfile.write(b"stub_up 1\n" if self.path == "/metrics" else b"ok\n")

    def log_message(self, *args: object) -> None:
        pass


def main(module: str) -> None:
    if os.environ.get("STUB_FAIL") == module:
        print(f"{module}: failing on purpose", flush=True)
        sys.exit(3)
    print("ENV " + json.dumps({k: os.environ.get(k) for k in SEEN}), flush=True)
    port = int(os.environ[PREFIXES[module] + "HTTP_PORT"])
    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
