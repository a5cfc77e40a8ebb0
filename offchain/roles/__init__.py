"""The protocol roles as long-running daemons (state in SQLite, safe to kill -9):
`submit` publishes and creates tasks, `solve` trains and commits, `verify`
re-executes sampled steps, `status` reports. Shared task-level code lives in
`task` (specs, artifacts) and `registry` (the TaskRegistry as typed views)."""
