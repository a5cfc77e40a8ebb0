"""Chain client: web3.py connection, ABIs from interfaces/, addresses from deployments/,
transactions with receipts and retries, idempotent actions, and a reorg-tolerant event cursor."""

from .client import ChainClient, ChainError, TxFailed, WrongChain, load_deployment
from .events import EventCursor, LogEvent
from .once import recheck_done, send_once

__all__ = ["ChainClient", "ChainError", "EventCursor", "LogEvent", "TxFailed", "WrongChain", "load_deployment",
           "recheck_done", "send_once"]
