"""Test suite for the TRON energy rental bot."""
