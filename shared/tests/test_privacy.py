"""Personal data out of public text and places."""

import pytest
from aduan_shared.privacy import redact, round_coordinate


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("WA saya +62 812-1234-5678 ya", "WA saya [disamarkan] ya"),
        ("telp 081212345678.", "telp [disamarkan]."),
        ("kantor (021) 765 4321", "kantor [disamarkan]"),
        ("kantor 021-7654321", "kantor [disamarkan]"),
        ("NIK 3174012345678901 hilang", "NIK [disamarkan] hilang"),
        ("email ke warga.baik+aduan@mail.co.id", "email ke [disamarkan]"),
        ("nama saya adalah siti aminah, RT 05", "nama saya adalah [disamarkan], RT 05"),
        ("Saya bernama Joko. Jalan rusak", "Saya bernama [disamarkan]. Jalan rusak"),
        ("Perkenalkan, saya Budi Santoso di RW 3", "Perkenalkan, saya [disamarkan] RW 3"),
        ("perkenalkan nama saya Rina", "perkenalkan nama saya [disamarkan]"),
        (
            "jalan rusak 200 meter dari halte, sejak 2019",
            "jalan rusak 200 meter dari halte, sejak 2019",
        ),
    ],
)
def test_redact(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_coordinates_round_to_about_100_m() -> None:
    assert round_coordinate(-6.2754321) == -6.275
    assert round_coordinate(106.8166789) == 106.817
