"""Off-chain agent for trustless training: reproducible runtime, commitments,
artifact store, chain client and the protocol roles."""

__version__ = "0.1.0"
