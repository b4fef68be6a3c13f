"""parity: the regional data warehouse for gender equality in defence."""
