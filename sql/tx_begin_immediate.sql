-- Open a write transaction that takes the write lock at once (the batch
-- envelope): the lease it reads cannot change until it ends.
-- Parameters: none.
BEGIN IMMEDIATE
