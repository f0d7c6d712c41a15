"""The mandated formats and the parameter schema built from them."""
