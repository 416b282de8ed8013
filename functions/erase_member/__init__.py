"""Function erase_member."""
