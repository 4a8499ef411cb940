"""Thin routes: read the request, call matcher through api.service, return a model."""
