"""The programme's rules as pure functions (no I/O, the date passed in): months, tariffs and due dates, eligibility,
cover and benefit estimates."""
