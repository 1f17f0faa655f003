"""chaoslab.demo"""
