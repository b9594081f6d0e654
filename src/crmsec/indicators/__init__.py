"""Building blocks shared by every method: concentration, governance transforms, units (one implementation each)."""
