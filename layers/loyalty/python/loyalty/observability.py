"""Powertools Logger (JSON, correlation id) and Metrics (EMF), one of each per container."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.logging.logger import Logger
from aws_lambda_powertools.metrics.metrics import Metrics

from loyalty import init_done

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "loyalty-api")


class HandlerLogger(Logger):
    """Powertools' Logger; decorating the handler with it (every function does, `endpoint` included) ends init."""

    def inject_lambda_context(self, lambda_handler: Any = None, *args: Any, **kwargs: Any) -> Any:
        decorated = super().inject_lambda_context(lambda_handler, *args, **kwargs)
        if lambda_handler is not None:  # not the call that only takes options and returns the decorator
            init_done()
        return decorated


logger = HandlerLogger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "LoyaltyApi"), service=SERVICE)
