"""The read side: every question the API and the CLI answer, as set-based SQL."""
