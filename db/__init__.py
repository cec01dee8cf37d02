"""The data: typed models, the engine and sessions, queries, migrations and the programme's rules."""
