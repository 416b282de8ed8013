"""Function create_segment."""
