"""What happens to each file received: triage, outcome, and the records kept of it."""
