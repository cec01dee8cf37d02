"""Contributions (iuran): the monthly reminders and what else is planned at each heartbeat, an ASN's payment with its
receipt, officers' verification and /tunggakan."""
