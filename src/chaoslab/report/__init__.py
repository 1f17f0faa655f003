"""chaoslab.report"""
