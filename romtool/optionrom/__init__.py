"""optionrom layer (see docs/architecture.md)."""
