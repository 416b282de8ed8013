"""Function update_program."""
