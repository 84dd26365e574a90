"""Parsers for what the source systems deliver, as they deliver it.

Each parser takes the bytes of one delivered file and yields, record by record, either a
``ParsedRow`` (source values kept as text) or a ``Rejected`` record (the raw text and the
reason it could not be parsed). Nothing a file holds is dropped without one or the other.
"""
