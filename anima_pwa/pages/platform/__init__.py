"""Pages that are not about a capability: privacy, terms, accessibility, the demo mailbox."""
