"""Who people are: the menu and privacy notice, ASN registration and the roster check, one NIP one ASN, linking a second
chat with one-time codes (and their limits), and a message that is no longer kept."""
