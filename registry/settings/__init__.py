"""Settings split: base (shared), dev, test, prod. Secrets come from the environment only."""
