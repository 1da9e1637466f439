"""Automation rules: event -> conditions -> actions (engine.py runs them; actions/ holds RULE_ACTIONS)."""
