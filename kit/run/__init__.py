"""Execution: papermill on a fresh (or forked) kernel."""
