"""Function list_segments."""
