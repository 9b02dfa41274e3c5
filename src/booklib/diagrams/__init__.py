"""SVG diagrams of the book, one concept per module."""
