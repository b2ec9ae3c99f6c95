"""`python -m aduan_analytics`: run the analytics service."""

from aduan_shared.service import serve

from aduan_analytics.app import create_app
from aduan_analytics.config import Settings


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
