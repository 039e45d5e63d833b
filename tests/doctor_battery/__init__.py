"""A labelled battery of networks for the gradient doctor (see cases.py)."""
