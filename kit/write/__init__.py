"""Writers: the executed report into published files, and publishing them."""
