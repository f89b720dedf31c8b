"""The local cloud: what lets the example app be tried with no AWS account (docs/design.md, "The local cloud").

A development tool, kept out of the library's wheel.
"""
