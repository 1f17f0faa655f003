"""chaoslab.inject"""
