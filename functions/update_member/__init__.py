"""Function update_member."""
