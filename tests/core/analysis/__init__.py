"""Tests of iamctl.core.analysis that need no command line."""
