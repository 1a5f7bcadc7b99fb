"""Builders for the kinds Paved composes, shared by the blueprints."""
