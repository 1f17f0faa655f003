"""chaoslab.adapters"""
