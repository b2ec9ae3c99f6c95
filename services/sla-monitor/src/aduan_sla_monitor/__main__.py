"""`aduan-sla-monitor`: run the sla-monitor service; `aduan-sla-monitor ledger --month YYYY-MM`:
rebuild a month's ledger from the topics (see :mod:`aduan_sla_monitor.replay`)."""

import sys

from aduan_shared.service import serve

from aduan_sla_monitor.app import create_app
from aduan_sla_monitor.config import Settings


def main() -> None:
    if sys.argv[1:2] == ["ledger"]:
        from aduan_sla_monitor.replay import main as ledger_main

        raise SystemExit(ledger_main(sys.argv[2:]))
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
