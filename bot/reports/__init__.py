"""Reports for platform staff: statistics with charts (/stats) and the needs ledger (/export).

Imports bot.requests (labels and rules), bot.foundation, knowledge/, storage/; the commands
themselves are in `bot.app.report_commands`."""
