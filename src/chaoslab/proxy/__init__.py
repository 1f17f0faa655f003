"""chaoslab.proxy"""
