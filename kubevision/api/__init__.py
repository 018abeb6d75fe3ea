"""The HTTP layer: thin handlers that translate requests into service calls and results into envelopes."""
