"""iip: Index of Industrial Production for Vietnam."""
__version__ = "0.1.0"
