"""chaoslab.faults"""
