"""algorithms layer (see docs/architecture.md)."""
