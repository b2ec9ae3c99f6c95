"""`python -m aduan_disposition`: run the disposition service."""

from aduan_shared.service import serve

from aduan_disposition.app import create_app
from aduan_disposition.config import Settings


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
