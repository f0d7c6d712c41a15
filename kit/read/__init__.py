"""Readers: a parameter file (and, later, other sources) into plain data."""
