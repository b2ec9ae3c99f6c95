"""`python -m aduan_intake`: run the intake service."""

from aduan_shared.service import serve

from aduan_intake.app import create_app
from aduan_intake.config import Settings


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
