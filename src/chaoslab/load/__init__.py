"""chaoslab.load"""
