"""The local cloud: what lets the example app be tried with no AWS account (DESIGN section 9).

A development tool, kept out of the library's wheel.
"""
