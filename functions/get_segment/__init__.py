"""Function get_segment."""
