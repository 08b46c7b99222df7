"""pimh"""
