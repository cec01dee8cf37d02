"""The channel-neutral conversation core: events in, replies out, the form engine, group commit, message catalogues,
formatting and masking, settings, uploads, text cleaning, matching typed words to options, and officers' access
checks. It imports no feature package."""
