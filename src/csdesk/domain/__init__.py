"""Qt-free, storage-free rules of the help desk. Imports nothing of ours."""
