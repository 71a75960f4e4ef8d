"""Buynest shared package: core building blocks and one sub-package per service."""
