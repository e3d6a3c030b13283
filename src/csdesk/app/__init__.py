"""Use cases and queries the window calls; Qt-free, so they are tested without a display."""
