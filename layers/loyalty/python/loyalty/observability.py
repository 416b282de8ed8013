"""Powertools Logger (JSON, correlation id) and Metrics (EMF), one of each per container."""

from __future__ import annotations

import os

from aws_lambda_powertools.logging.logger import Logger
from aws_lambda_powertools.metrics.metrics import Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "loyalty-api")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "LoyaltyApi"), service=SERVICE)
