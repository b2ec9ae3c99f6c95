"""`python -m aduan_sla_monitor`: run the sla-monitor service."""

from aduan_shared.service import serve

from aduan_sla_monitor.app import create_app
from aduan_sla_monitor.config import Settings


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
