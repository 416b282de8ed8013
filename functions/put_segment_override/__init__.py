"""Function put_segment_override."""
