"""The running program: configuration, channels, web server, outbox delivery, scheduler, command line."""
