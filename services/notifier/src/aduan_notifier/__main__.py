"""`python -m aduan_notifier`: run the notifier service."""

from aduan_shared.service import serve

from aduan_notifier.app import create_app
from aduan_notifier.config import Settings


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
