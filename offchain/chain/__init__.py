"""Chain client: web3.py connection, ABIs from interfaces/, addresses from deployments/,
transactions with receipts and retries, idempotent actions, and a reorg-tolerant event cursor."""

from .client import ChainClient, ChainError, TxFailed, load_deployment
from .events import EventCursor, LogEvent
from .once import send_once

__all__ = ["ChainClient", "ChainError", "EventCursor", "LogEvent", "TxFailed", "load_deployment",
           "send_once"]
