"""The worker's own consent (UU PDP): the one-time consent link, the signed paper form, and officers' review of a
consent that needs it."""
