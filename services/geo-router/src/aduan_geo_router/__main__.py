"""`python -m aduan_geo_router`: run the geo-router service."""

from aduan_shared.service import serve

from aduan_geo_router.app import create_app
from aduan_geo_router.config import Settings


def main() -> None:
    settings = Settings()
    serve(lambda: create_app(settings), settings)


if __name__ == "__main__":
    main()
