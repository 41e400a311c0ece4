"""The bottom layer: errors, settings, shared types and text helpers. Imports nothing of ours."""
