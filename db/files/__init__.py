"""Files on disk: private folders and files (0700/0600), files that follow their transaction, and the sweep of files
without rows."""
