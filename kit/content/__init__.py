"""The report's content: tables, sentences, charts and HTML fragments."""
