"""Secrets never reach a log: query values named like credentials (``token``, ``ticket``, ``key``, ``secret``,
``password``...) are replaced by ``[redacted]`` in every record the server's loggers write, the access log's
request lines and the WebSocket "accepted" lines included."""

from __future__ import annotations

import logging
import re

_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:access_token|token|ticket|api_key|key|secret|password|stream_key|code_verifier)=)[^&\s\"']*"
)
REDACTED = "[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error", "shoppable")


def redact(text: str) -> str:
    return _SECRET_QUERY.sub(r"\1" + REDACTED, text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def install(loggers: tuple[str, ...] = LOGGERS) -> None:
    """Adds the filter to each logger once (create_app may run many times in one process)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
