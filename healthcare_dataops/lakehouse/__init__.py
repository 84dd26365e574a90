"""Delta Lake reads and writes shared by every asset."""
