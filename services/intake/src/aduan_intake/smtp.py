"""The SMTP listener for the complaint addresses (aiosmtpd on the app's own event loop)."""

from __future__ import annotations

import asyncio
from typing import Any

from aduan_shared.errors import AduanError
from aduan_shared.logging import get_logger, new_correlation_id
from aiosmtpd.smtp import SMTP, Envelope, Session

from aduan_intake.channel_api import accept_email
from aduan_intake.pipeline import Pipeline

log = get_logger(__name__)
MAX_MAIL_BYTES = 60 * 1024 * 1024  # five 10 MB photos, base64-encoded, and the text


class ComplaintMailHandler:
    """aiosmtpd handler: recipients must be complaint addresses; each mail goes through
    `accept_email` before the server answers 250, so an accepted mail is a published report."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._addresses = {a.lower() for a in pipeline.deps.complaint_addresses}

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self._addresses and address.lower() not in self._addresses:
            return "550 5.1.1 not a complaint address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            result = await accept_email(self._pipeline, raw, new_correlation_id())
        except AduanError as exc:
            log.warning("mail_refused", status=exc.status, detail=exc.detail)
            # 5xx for a mail that can never be accepted, 4xx (try again) for an outage
            return f"451 4.3.0 {exc.detail}" if exc.status >= 500 else f"550 5.6.0 {exc.detail}"
        log.info("mail_accepted", reports=len(result.reports), attached=len(result.attached_to))
        return "250 OK"


async def start_smtp(pipeline: Pipeline, host: str, port: int) -> asyncio.Server:
    """Serve SMTP on the running loop; the caller closes the returned server."""
    handler = ComplaintMailHandler(pipeline)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(
            handler, data_size_limit=MAX_MAIL_BYTES, enable_SMTPUTF8=True, hostname="aduan-intake"
        )

    server = await loop.create_server(factory, host=host, port=port)
    log.info("smtp_listening", host=host, port=port)
    return server
