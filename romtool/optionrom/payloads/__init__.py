"""Binary payloads shipped with romtool (the self-test option ROM template)."""
