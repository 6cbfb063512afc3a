"""Reports for platform staff: statistics with charts (/stats) and the needs ledger (/export)."""
