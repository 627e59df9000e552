"""Reading uploaded files: formats, CRS, encodings, validation and findings."""
