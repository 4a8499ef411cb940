"""matcher: a recommended, sequenced and explained plan of interventions for a person on probation."""

__version__ = "0.1.0"
