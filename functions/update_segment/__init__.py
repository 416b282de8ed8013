"""Function update_segment."""
