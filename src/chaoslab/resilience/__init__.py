"""chaoslab.resilience"""
