"""Function create_member."""
