"""Files officers exchange with the bot: the roster and payments imported, and the exports (CSV, XLSX) written
safely."""
