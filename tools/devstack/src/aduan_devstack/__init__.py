"""Aduan local development stack: real Kafka, SecantusDB and Prometheus as local processes."""

__version__ = "0.1.0"
