"""Helpers behind the course book's chapters: the notes' demo data, figures,
the convolution demo widget and the architecture tables.

The layers themselves come from :mod:`convref`; this package only arranges,
counts and draws, and (``booklib.digits``) trains the small digits network of
the chapter "A ConvNet at work" with those layers.
"""
