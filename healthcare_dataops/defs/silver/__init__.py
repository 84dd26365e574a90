"""Silver: each source's tables de-identified and conformed, and their checks."""
