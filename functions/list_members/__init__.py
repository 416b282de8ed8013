"""Function list_members."""
