"""Allows new tasks and claims again: `python -m scripts.run governance/unpause [--calldata-only]`."""

from scripts.governance._common import toggle_pause


def main(*args):
    return toggle_pause("unpause", args)
