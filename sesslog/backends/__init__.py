"""The storage seam: where one session's bytes live (the local JSONL folder, memory) and the
file-system calls the local backend makes.
"""
