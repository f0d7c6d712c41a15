"""Validation: the schema's errors and the format's rules, as Chinese messages."""
