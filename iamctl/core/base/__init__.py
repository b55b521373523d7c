"""What every layer uses: the error hierarchy, the clock, AWS's name rules and ARNs, ids."""
