"""Function list_member_segments."""
