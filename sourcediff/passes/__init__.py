"""The transformation pipeline, one pass per module:

normalize -> types -> activity -> reverse -> (emit)
"""
