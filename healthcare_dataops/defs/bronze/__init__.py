"""Bronze: each feed's files as delivered, one multi-asset per source."""
