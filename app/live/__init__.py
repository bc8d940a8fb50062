"""Live availability: provider-reported places, hours and closures in a database shared by
every server, with tokens, an append-only audit log and optimistic versioning."""
