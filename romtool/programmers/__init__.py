"""programmers layer (see docs/architecture.md)."""
