"""chips layer (see docs/architecture.md)."""
