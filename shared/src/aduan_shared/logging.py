"""structlog configured once: JSON in production, console locally, ids bound from contextvars."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog

CORRELATION_HEADER = "X-Correlation-Id"

#: Loggers whose repeated lines are held back (`RepeatFilter`): while the broker is away,
#: aiokafka logs the same few lines every retry (100 ms) from every client of every service.
REPEATING = ("aiokafka", "kafka")


class RepeatFilter(logging.Filter):
    """Lets one line per (logger, level, message template) of the `REPEATING` loggers through
    per `window_s`, and holds back the others; the first let through after the window says how
    many were held back (`… [12 more like this held back]`). Other loggers pass untouched."""

    def __init__(self, window_s: float = 10.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window_s = window_s
        self._clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}  # → (let through, held)

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(REPEATING):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window_s:
            self._seen[key] = (seen[0], seen[1] + 1)
            return False
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} [{seen[1]} more like this held back]"
        self._seen[key] = (now, 0)
        return True


def configure_logging(service: str, fmt: str = "console", level: str = "INFO") -> None:
    """Route structlog and the standard library (uvicorn, aiokafka, FastStream) to one format."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # FastStream logs every message received and processed at INFO through "aduan.broker".
    for noisy in ("aiokafka", "kafka", "pymongo", "uvicorn.access", "aduan.broker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def bind_ids(**ids: object) -> None:
    """Bind ids (report_id, event_id, correlation_id) to every log line of this task."""
    structlog.contextvars.bind_contextvars(**{k: str(v) for k, v in ids.items() if v is not None})


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
