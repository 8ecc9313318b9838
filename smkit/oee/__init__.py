"""OEE and TPM: the ISO 22400 time model, six big losses and maintenance KPIs (pure, exact)."""
