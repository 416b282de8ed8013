"""Function get_member."""
