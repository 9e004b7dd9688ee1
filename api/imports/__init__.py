"""Importing orders from CSV and Excel files: a job per file, every row's result kept."""
