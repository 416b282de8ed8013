"""Function get_program."""
