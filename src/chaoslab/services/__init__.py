"""chaoslab.services"""
