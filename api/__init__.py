"""matcher's HTTP service: the v1 contract over FastAPI (``api.main:app``)."""
