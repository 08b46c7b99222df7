"""pimh: the data platform for the Perinatal and Infant Mental Health programme's returns."""
