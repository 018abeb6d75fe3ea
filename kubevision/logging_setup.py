"""Logging: console and `<data-dir>/kubevision.log`, every line stamped with the request id."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path
from typing import TextIO

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from kubevision.api.context import REQUEST_ID
from kubevision.datadir import make_private_dir, private_opener, tighten
from kubevision.services.audit import current_origin

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
LOG_FILE_NAME = "kubevision.log"
LOG_FILE_BYTES = 10 * 1024 * 1024
# Query parameters that carry one-time secrets never reach a log line.
_SECRET_QUERY_RE = re.compile(r"((?:^|[?&])(?:ticket|bootstrap|token)=)[^&]*", re.IGNORECASE)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or '-') to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record; never drops it."""
        if not hasattr(record, "request_id"):
            origin = current_origin.get()
            record.request_id = origin.request_id if origin is not None else "-"
        return True


def redact_query(path_qs: str) -> str:
    """Replace secret query values with `REDACTED`."""
    return _SECRET_QUERY_RE.sub(r"\1REDACTED", path_qs)


class AccessLogger(AbstractAccessLogger):
    """One line per request with its id, status, size and duration; secrets redacted."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Write the access line."""
        self.logger.info(
            '%s "%s %s" %s %s %.1fms', request.remote, request.method, redact_query(request.path_qs),
            response.status, response.body_length, time * 1000,
            extra={"request_id": request.get(REQUEST_ID, "-")},
        )


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created 0600 (the first one and each one after a rollover)."""

    def _open(self) -> TextIO:
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=private_opener)


def configure_logging(level: str, data_dir: Path | None) -> None:
    """Console plus a rotating file in the data dir (0600, an existing one and its backups tightened)."""
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(level.upper())
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if data_dir is not None:
        make_private_dir(data_dir)
        for existing in data_dir.glob(f"{LOG_FILE_NAME}*"):
            tighten(existing)
        handlers.append(PrivateRotatingFileHandler(
            data_dir / LOG_FILE_NAME, maxBytes=LOG_FILE_BYTES, backupCount=3, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    logging.getLogger("aiohttp.access").setLevel(level.upper())
