"""Commitments: tensor, step, run and micro-trace roots, and Merkle proofs."""
