"""X (Twitter) Account Activity API: CRC answer, webhook signature and tweet/DM parsing."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from aduan_shared.errors import InvalidInput

from .base import (
    InboundMessage,
    as_dict,
    as_list,
    check_hmac_header,
    dedupe,
    from_epoch,
    hmac_sha256,
    lat_lon,
    opt_dict,
    opt_list,
    opt_str,
    req_str,
)

CHANNEL = "twitter"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
_CREATED_AT = "%a %b %d %H:%M:%S %z %Y"
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+\s*")


def crc_response(consumer_secret: str, crc_token: str) -> dict[str, str]:
    """The answer to the challenge-response check (`GET ...?crc_token=`)."""
    if not isinstance(crc_token, str) or not crc_token:
        raise InvalidInput("crc_token is required")
    digest = hmac_sha256(consumer_secret, crc_token)
    return {"response_token": "sha256=" + base64.b64encode(digest).decode()}


def verify(consumer_secret: str, body: bytes, header: str | None) -> None:
    """Raise Unauthenticated unless the header is `sha256=<base64 HMAC-SHA256(secret, body)>`."""
    check_hmac_header(
        consumer_secret, body, header, header_name=SIGNATURE_HEADER, encoding="base64"
    )


def parse(payload: Any) -> list[InboundMessage]:
    """Tweets and DMs of one webhook delivery; other event kinds (likes, follows…) give []."""
    data = as_dict(payload, "payload")
    for_user = data.get("for_user_id")
    account_id = str(for_user) if isinstance(for_user, str | int) else None
    messages: list[InboundMessage] = []
    for i, raw in enumerate(opt_list(data, "tweet_create_events", "payload")):
        tweet = _tweet(as_dict(raw, f"tweet_create_events[{i}]"), f"tweet_create_events[{i}]")
        if tweet is not None and tweet.sender.get("user_id") != account_id:
            messages.append(tweet)
    users = opt_dict(data, "users", "payload") or {}
    for i, raw in enumerate(opt_list(data, "direct_message_events", "payload")):
        path = f"direct_message_events[{i}]"
        dm = _direct_message(as_dict(raw, path), path, users)
        if dm is not None and dm.sender.get("user_id") != account_id:
            messages.append(dm)
    return messages


def _tweet(tweet: dict[str, Any], path: str) -> InboundMessage | None:
    if tweet.get("retweeted_status") is not None:
        return None  # a retweet repeats someone else's message; the original is the report
    tweet_id = (
        req_str(tweet, "id_str", path)
        if "id_str" in tweet
        else req_str(tweet, "id", path, allow_int=True)
    )
    user = as_dict(tweet.get("user"), f"{path}.user")
    sender = {"user_id": req_str(user, "id_str", f"{path}.user")}
    if screen_name := opt_str(user, "screen_name", f"{path}.user"):
        sender["handle"] = "@" + screen_name
    if name := opt_str(user, "name", f"{path}.user"):
        sender["name"] = name
    extended = opt_dict(tweet, "extended_tweet", path)
    source = extended if extended is not None else tweet
    source_path = f"{path}.extended_tweet" if extended is not None else path
    text = opt_str(source, "full_text", source_path) or opt_str(tweet, "text", path) or ""
    media: list[dict[str, Any]] = []
    for obj, obj_path in ((tweet, path), (extended, f"{path}.extended_tweet")):
        if obj is None:
            continue
        for key in ("entities", "extended_entities"):
            entities = opt_dict(obj, key, obj_path)
            if entities is not None:
                items = opt_list(entities, "media", f"{obj_path}.{key}")
                media += [as_dict(m, f"{obj_path}.{key}.media[{j}]") for j, m in enumerate(items)]
    lat, lon = _tweet_location(tweet, path)
    return InboundMessage(
        channel=CHANNEL,
        external_id=tweet_id,
        text=_clean_text(text, media),
        received_at=_tweet_time(tweet, path),
        sender=sender,
        lat=lat,
        lon=lon,
        photo_urls=_photo_urls(media),
        is_reply=tweet.get("in_reply_to_status_id_str") is not None
        or tweet.get("in_reply_to_status_id") is not None,
    )


def _tweet_time(tweet: dict[str, Any], path: str) -> datetime:
    created_at = tweet.get("created_at")
    if isinstance(created_at, str):
        try:
            return datetime.strptime(created_at.strip(), _CREATED_AT)
        except ValueError:
            raise InvalidInput(f"{path}.created_at is not an X timestamp: {created_at!r}") from None
    if tweet.get("timestamp_ms") is not None:
        return from_epoch(tweet["timestamp_ms"], f"{path}.timestamp_ms", unit="ms")
    raise InvalidInput(f"{path}.created_at is required")


def _tweet_location(tweet: dict[str, Any], path: str) -> tuple[float | None, float | None]:
    """Exact `coordinates` (GeoJSON [lon, lat]) or else the centre of the `place` bounding box."""
    coordinates = opt_dict(tweet, "coordinates", path)
    if coordinates is not None:
        point = as_list(coordinates.get("coordinates"), f"{path}.coordinates.coordinates")
        if len(point) != 2:
            raise InvalidInput(f"{path}.coordinates.coordinates must be [lon, lat]")
        return lat_lon(point[1], point[0], f"{path}.coordinates")
    place = opt_dict(tweet, "place", path)
    box = opt_dict(place, "bounding_box", f"{path}.place") if place is not None else None
    if box is None:
        return None, None
    box_path = f"{path}.place.bounding_box.coordinates"
    rings = as_list(box.get("coordinates"), box_path)
    corners = [as_list(c, box_path) for ring in rings for c in as_list(ring, box_path)]
    if not corners or any(len(c) != 2 for c in corners):
        raise InvalidInput(f"{box_path} must be a polygon of [lon, lat] pairs")
    pairs = [lat_lon(c[1], c[0], f"{path}.place") for c in corners]
    lats, lons = [p[0] for p in pairs], [p[1] for p in pairs]
    return (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2


def _direct_message(
    event: dict[str, Any], path: str, users: dict[str, Any]
) -> InboundMessage | None:
    if event.get("type") != "message_create":
        return None
    create = as_dict(event.get("message_create"), f"{path}.message_create")
    sender_id = req_str(create, "sender_id", f"{path}.message_create", allow_int=True)
    data = as_dict(create.get("message_data"), f"{path}.message_create.message_data")
    data_path = f"{path}.message_create.message_data"
    sender = {"user_id": sender_id}
    user = users.get(sender_id)
    if isinstance(user, dict):
        if isinstance(user.get("screen_name"), str) and user["screen_name"]:
            sender["handle"] = "@" + user["screen_name"]
        if isinstance(user.get("name"), str) and user["name"]:
            sender["name"] = user["name"]
    media: list[dict[str, Any]] = []
    lat = lon = None
    attachment = opt_dict(data, "attachment", data_path)
    if attachment is not None and attachment.get("type") == "media":
        media.append(as_dict(attachment.get("media"), f"{data_path}.attachment.media"))
    elif attachment is not None and attachment.get("type") == "location":
        lat, lon = _dm_location(attachment, f"{data_path}.attachment")
    return InboundMessage(
        channel=CHANNEL,
        external_id=req_str(event, "id", path, allow_int=True),
        text=_clean_text(opt_str(data, "text", data_path) or "", media, strip_mentions=False),
        received_at=from_epoch(
            event.get("created_timestamp"), f"{path}.created_timestamp", unit="ms"
        ),
        sender=sender,
        lat=lat,
        lon=lon,
        photo_urls=_photo_urls(media),
    )


def _dm_location(attachment: dict[str, Any], path: str) -> tuple[float | None, float | None]:
    location = as_dict(attachment.get("location"), f"{path}.location")
    shared = opt_dict(location, "shared_coordinate", f"{path}.location")
    if shared is None:
        return None, None
    point = as_dict(shared.get("coordinates"), f"{path}.location.shared_coordinate.coordinates")
    pair = as_list(point.get("coordinates"), f"{path}.location.shared_coordinate.coordinates")
    if len(pair) != 2:
        raise InvalidInput(f"{path}.location.shared_coordinate.coordinates must be [lon, lat]")
    return lat_lon(pair[1], pair[0], f"{path}.location")


def _photo_urls(media: list[dict[str, Any]]) -> tuple[str, ...]:
    urls = [
        m.get("media_url_https") or m.get("media_url") for m in media if m.get("type") == "photo"
    ]
    return dedupe([u for u in urls if isinstance(u, str) and u])


def _clean_text(text: str, media: list[dict[str, Any]], *, strip_mentions: bool = True) -> str:
    """The text without the t.co links of attached media and without leading @mentions."""
    for m in media:
        if isinstance(m.get("url"), str) and m["url"]:
            text = text.replace(m["url"], "")
    if strip_mentions:
        text = _LEADING_MENTIONS.sub("", text)
    return text.strip()
