"""Function delete_segment_override."""
