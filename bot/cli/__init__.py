"""The command line, `tuwai`: run, chat, db, import, export, stats, officer, audit, files."""
