"""Values and policies every wing reads: JSON lines, safe values, keys, trust, propagation
policy, line formats.
"""
