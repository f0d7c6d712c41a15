"""Execution: papermill on a fresh (or forked) kernel."""

KERNEL_NAME = "python3"  # the kernel every report runs in unless the options name another
