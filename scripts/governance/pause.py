"""Pauses new tasks and claims: `python -m scripts.run governance/pause [--calldata-only]`."""

from scripts.governance._common import toggle_pause


def main(*args):
    return toggle_pause("pause", args)
