"""Reproducible float32 runtime: program format, executors, compiler."""
