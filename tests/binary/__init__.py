"""Helpers that launch the frozen executable (used by tests/test_binary.py and benchmarks/binary.py)."""
