"""chaoslab.experiment"""
