"""The Qt workstation: the only package that imports PySide6."""
