"""Function get_status."""
