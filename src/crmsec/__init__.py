"""crmsec — decision support for the security of supply of critical raw materials (NL, EU CRMA)."""

__version__ = "0.1.0"
