// Connectivity check run by `connect`. Parameters: none.
RETURN 1 AS one
