"""The audit record: inputs, provenance, verification and comparison."""
