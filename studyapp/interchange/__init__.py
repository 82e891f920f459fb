"""Turning files into neutral records and records into database rows.

Each format has a parser module that returns records (``records.py``); only
``store.py`` writes records to the database, in one transaction.
"""
