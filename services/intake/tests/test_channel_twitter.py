"""X Account Activity adapter: CRC, signature, tweets and DMs."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aduan_intake.channel_adapters import twitter
from aduan_shared.errors import InvalidInput, Unauthenticated

SECRET = "consumer-secret-for-tests"
ACCOUNT = "3001"  # @DKIJakarta


def _sig(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _tweet(**extra: Any) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id": 1050118621198921728,
        "id_str": "1050118621198921728",
        "text": "@DKIJakarta jalan bolong di Jl. Kemang Raya depan indomaret, bahaya buat motor",
        "user": {"id": 6253282, "id_str": "6253282", "name": "Budi", "screen_name": "budi_kmg"},
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "coordinates": None,
        "place": None,
        "entities": {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []},
    }
    tweet.update(extra)
    return tweet


def _activity(**events: Any) -> dict[str, Any]:
    return {"for_user_id": ACCOUNT, **events}


def test_crc_response_is_base64_hmac_of_token() -> None:
    token = "crc-token-abc123"
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), token.encode(), hashlib.sha256).digest()
    ).decode()
    assert twitter.crc_response(SECRET, token) == {"response_token": f"sha256={expected}"}


def test_crc_without_token_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        twitter.crc_response(SECRET, "")


def test_verify_accepts_the_exact_signature() -> None:
    body = json.dumps(_activity(tweet_create_events=[_tweet()])).encode()
    twitter.verify(SECRET, body, _sig(SECRET, body))


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=abc", "garbage", _sig("other-secret", b"{}"), _sig(SECRET, b"{}x")],
)
def test_verify_rejects_wrong_or_missing_signature(header: str | None) -> None:
    with pytest.raises(Unauthenticated) as err:
        twitter.verify(SECRET, b"{}", header)
    assert err.value.status == 401


def test_verify_rejects_hex_encoding_and_unconfigured_secret() -> None:
    body = b'{"for_user_id": "1"}'
    hex_sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(Unauthenticated):
        twitter.verify(SECRET, body, hex_sig)
    with pytest.raises(Unauthenticated):
        twitter.verify("", body, _sig("", body))


def test_text_tweet_strips_leading_mention() -> None:
    [msg] = twitter.parse(_activity(tweet_create_events=[_tweet()]))
    assert msg.channel == "twitter"
    assert msg.external_id == "1050118621198921728"
    assert msg.text == "jalan bolong di Jl. Kemang Raya depan indomaret, bahaya buat motor"
    assert msg.received_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
    assert msg.sender == {"user_id": "6253282", "handle": "@budi_kmg", "name": "Budi"}
    assert (msg.lat, msg.lon, msg.photo_urls, msg.is_reply) == (None, None, (), False)


def test_extended_tweet_with_photo_and_exact_coordinates() -> None:
    media = {
        "id_str": "1050118600000000000",
        "type": "photo",
        "url": "https://t.co/AbCdEf",
        "media_url": "http://pbs.twimg.com/media/DpP1.jpg",
        "media_url_https": "https://pbs.twimg.com/media/DpP1.jpg",
    }
    tweet = _tweet(
        text="@DKIJakarta sampah numpuk udah 3 hari di pinggir kali, bau bgt 🤮… https://t.co/xyz",
        truncated=True,
        extended_tweet={
            "full_text": "@DKIJakarta sampah numpuk udah 3 hari di pinggir kali Ciliwung,"
            " bau bgt 🤮 https://t.co/AbCdEf",
            "entities": {"media": [media]},
            "extended_entities": {"media": [media, {**media, "type": "video", "id_str": "2"}]},
        },
        coordinates={"type": "Point", "coordinates": [106.8456, -6.2088]},
    )
    [msg] = twitter.parse(_activity(tweet_create_events=[tweet]))
    assert msg.text == "sampah numpuk udah 3 hari di pinggir kali Ciliwung, bau bgt 🤮"
    assert msg.photo_urls == ("https://pbs.twimg.com/media/DpP1.jpg",)
    assert (msg.lat, msg.lon) == (-6.2088, 106.8456)


def test_place_bounding_box_gives_its_centre() -> None:
    box = [[[106.80, -6.30], [106.80, -6.20], [106.90, -6.20], [106.90, -6.30]]]
    place = {
        "full_name": "Jakarta Selatan",
        "bounding_box": {"type": "Polygon", "coordinates": box},
    }
    [msg] = twitter.parse(_activity(tweet_create_events=[_tweet(place=place)]))
    assert msg.lat == pytest.approx(-6.25)
    assert msg.lon == pytest.approx(106.85)


def test_reply_tweet_is_marked_as_reply() -> None:
    tweet = _tweet(
        text="@DKIJakarta makasih min 🙏",
        in_reply_to_status_id=1049999,
        in_reply_to_status_id_str="1049999",
    )
    [msg] = twitter.parse(_activity(tweet_create_events=[tweet]))
    assert msg.is_reply and msg.text == "makasih min 🙏"


def test_own_tweets_and_retweets_are_skipped() -> None:
    own = _tweet(id_str="1", user={"id_str": ACCOUNT, "screen_name": "DKIJakarta"})
    retweet = _tweet(id_str="2", retweeted_status=_tweet())
    assert twitter.parse(_activity(tweet_create_events=[own, retweet])) == []


def _dm(sender: str, text: str, **data: Any) -> dict[str, Any]:
    return {
        "type": "message_create",
        "id": "954491830116155396",
        "created_timestamp": "1516403560557",
        "message_create": {
            "target": {"recipient_id": ACCOUNT if sender != ACCOUNT else "6253282"},
            "sender_id": sender,
            "message_data": {"text": text, "entities": {"urls": []}, **data},
        },
    }


def test_direct_message_with_photo() -> None:
    attachment: dict[str, Any] = {
        "type": "media",
        "media": {
            "id_str": "954491800000000000",
            "type": "photo",
            "url": "https://t.co/PhOtO",
            "media_url_https": "https://ton.twitter.com/1.1/ton/data/dm/954491830116155396/p.jpg",
        },
    }
    payload = _activity(
        direct_message_events=[
            _dm(
                "6253282",
                "Pohon tumbang nutupin jalan di Tebet https://t.co/PhOtO",
                attachment=attachment,
            )
        ],
        users={"6253282": {"id": "6253282", "name": "Budi", "screen_name": "budi_kmg"}},
    )
    [msg] = twitter.parse(payload)
    assert msg.external_id == "954491830116155396"
    assert msg.text == "Pohon tumbang nutupin jalan di Tebet"
    assert msg.received_at == datetime(2018, 1, 19, 23, 12, 40, 557000, tzinfo=UTC)
    assert msg.sender == {"user_id": "6253282", "handle": "@budi_kmg", "name": "Budi"}
    assert msg.photo_urls == (attachment["media"]["media_url_https"],)


def test_direct_message_with_shared_location() -> None:
    location = {
        "type": "shared_coordinate",
        "shared_coordinate": {"coordinates": {"type": "Point", "coordinates": [106.82, -6.17]}},
    }
    dm = _dm(
        "6253282", "banjir sepaha di sini", attachment={"type": "location", "location": location}
    )
    [msg] = twitter.parse(_activity(direct_message_events=[dm]))
    assert (msg.lat, msg.lon) == (-6.17, 106.82)


def test_own_direct_messages_and_other_events_are_ignored() -> None:
    payload = _activity(direct_message_events=[_dm(ACCOUNT, "Terima kasih, laporan diterima")])
    assert twitter.parse(payload) == []
    assert twitter.parse(_activity(favorite_events=[{"id": "1"}])) == []
    assert twitter.parse(_activity(follow_events=[{"type": "follow"}])) == []
    typing = {"direct_message_indicate_typing_events": [{"sender_id": "1"}]}
    assert twitter.parse(_activity(**typing)) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "payload"),
        ({"tweet_create_events": {}}, "payload.tweet_create_events"),
        ({"tweet_create_events": ["x"]}, "tweet_create_events[0]"),
        ({"tweet_create_events": [_tweet(user=None)]}, "tweet_create_events[0].user"),
        ({"tweet_create_events": [_tweet(id_str=None)]}, "tweet_create_events[0].id_str"),
        ({"tweet_create_events": [_tweet(created_at="yesterday")]}, "created_at"),
        (
            {"tweet_create_events": [_tweet(coordinates={"coordinates": [106.8]})]},
            "tweet_create_events[0].coordinates",
        ),
        (
            {"tweet_create_events": [_tweet(coordinates={"coordinates": [200, -6]})]},
            "tweet_create_events[0].coordinates.lon",
        ),
        ({"direct_message_events": [{"type": "message_create"}]}, "message_create"),
        (
            {"direct_message_events": [{**_dm("1", "x"), "created_timestamp": "soon"}]},
            "direct_message_events[0].created_timestamp",
        ),
    ],
)
def test_malformed_payloads_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        twitter.parse(payload)
    assert err.value.status == 422
    assert field in err.value.detail
